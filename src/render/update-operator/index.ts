export { renderUpdateOperator, updateOperatorObjects } from './render.js';
