// tsx for an ava worker thread: registered by the thread, since a thread inherits no --import.
import { register } from 'tsx/esm/api';

register();
