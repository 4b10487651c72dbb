import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';

// One logger and tracer per execution environment; the service name comes from POWERTOOLS_SERVICE_NAME.
export const logger = new Logger();
export const tracer = new Tracer();
