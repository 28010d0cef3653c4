// Function lengths, counted on the TypeScript AST: every function, method, constructor, accessor and
// arrow function in the given folders, by its lines from the first to the last (comments and blank
// lines inside included, as ESLint's max-lines-per-function counts them with its defaults).
//   node --import tsx scripts/function-lengths.ts [--top N] [--max M] <dir|file>...
// Prints the N longest (default 5); with --max, lists every one longer and exits 1 if there is any.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

interface FunctionLength {
  file: string;
  line: number;
  name: string;
  lines: number;
}

function filesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => filesUnder(join(path, name)))
    .filter((f) => /\.(ts|mts)$/.test(f) && !f.endsWith('.d.ts'));
}

function nameOf(node: ts.Node, source: ts.SourceFile): string {
  const named = node as ts.Node & { name?: ts.Node };
  if (named.name) return named.name.getText(source);
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  // an arrow or function expression: the variable, property or call it is given to
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))
    return parent.name.getText(source);
  if (ts.isCallExpression(parent)) return `(argument of ${parent.expression.getText(source).slice(0, 40)})`;
  return '(anonymous)';
}

export function functionLengths(file: string): FunctionLength[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: FunctionLength[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      found.push({ file, line: start + 1, name: nameOf(node, source), lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function main(argv: string[]): number {
  let top = 5;
  let max: number | undefined;
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--top') top = Number(argv[++i]);
    else if (argv[i] === '--max') max = Number(argv[++i]);
    else paths.push(argv[i]);
  }
  if (!paths.length || !Number.isInteger(top) || (max !== undefined && !Number.isInteger(max))) {
    process.stderr.write('usage: function-lengths.ts [--top N] [--max M] <dir|file>...\n');
    return 2;
  }
  const all = paths.flatMap(filesUnder).flatMap(functionLengths);
  all.sort((a, b) => b.lines - a.lines);
  const show = (f: FunctionLength) =>
    `${String(f.lines).padStart(4)}  ${relative(process.cwd(), f.file)}:${f.line}  ${f.name}`;
  process.stdout.write(`${all.length} functions; the ${Math.min(top, all.length)} longest:\n`);
  for (const f of all.slice(0, top)) process.stdout.write(show(f) + '\n');
  if (max === undefined) return 0;
  const over = all.filter((f) => f.lines > max);
  if (over.length) process.stdout.write(`over ${max} lines:\n${over.map(show).join('\n')}\n`);
  return over.length ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
