// The slice of the host logger the datastore needs: notices become annotations in the action.
import { lineLogger, type Logger } from '../util/logger.js';

export type DatastoreLogger = Pick<Logger, 'info' | 'notice' | 'warning'>;

export const defaultLogger = (): DatastoreLogger => lineLogger();
