// The onnxruntime-node version the bundle is built and tested against (a test compares it with
// node_modules, so an upgrade cannot forget it). The runner provisions exactly this version.
export const ORT_VERSION = '1.30.0';
export const ORT_PACKAGE = 'onnxruntime-node';
