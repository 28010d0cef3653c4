// SGD with momentum, torch.optim.SGD semantics (dampening 0): g += wd*p (coupled L2),
// buf = mu*buf + g (buf starts at zeros, which equals torch's buf = g on the first step),
// nesterov: d = g + mu*buf else d = buf; p -= lr*d.
import type { Graph } from '../onnx/graph.js';
import type { GraphOptimizer, ParamUpdateIn, ParamUpdateOut, StepScalars } from './types.js';
import { toF32 } from './types.js';

export interface SGDConfig {
  kind: 'sgd';
  momentum?: number;
  nesterov?: boolean;
  /** L2 penalty added to the gradient (torch SGD weight_decay), for parameters with decay=true. */
  weightDecay?: number;
}

export function sgd(cfg: Omit<SGDConfig, 'kind'> = {}): GraphOptimizer {
  const mu = cfg.momentum ?? 0,
    wd = cfg.weightDecay ?? 0,
    nesterov = cfg.nesterov ?? false;
  if (!(mu >= 0)) throw new RangeError(`SGD momentum must be >= 0, got ${mu}`);
  if (!(wd >= 0)) throw new RangeError(`SGD weight decay must be >= 0, got ${wd}`);
  if (nesterov && mu <= 0) throw new RangeError('SGD nesterov needs momentum > 0');
  return {
    kind: 'sgd',
    slots: mu > 0 ? ['momentum_buffer'] : [],
    update(g: Graph, params: ParamUpdateIn[], s: StepScalars): ParamUpdateOut[] {
      const lr = toF32(g, s.lr);
      const f = (x: number) => g.scalar(x, 'float32');
      return params.map(({ spec, p, grad, state }) => {
        let d = wd > 0 && spec.decay ? g.op('Add', [grad, g.op('Mul', [p, f(wd)])]) : grad;
        const next: typeof state = [];
        if (mu > 0) {
          const buf = g.op('Add', [g.op('Mul', [state[0], f(mu)]), d]);
          next.push(buf);
          d = nesterov ? g.op('Add', [d, g.op('Mul', [buf, f(mu)])]) : buf;
        }
        return { p: g.op('Sub', [p, g.op('Mul', [d, lr])]), state: next };
      });
    },
  };
}
