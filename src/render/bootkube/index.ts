export { renderBootkubeAssets, type BootkubeOptions } from './render.js';
export { assertEmptyDir, writeAssetDir } from './writer.js';
export { CHECKPOINT_ANNOTATION, CHECKPOINT_OF_ANNOTATION, STAGE_LABEL, type KubeObject, type Stage } from './objects.js';
