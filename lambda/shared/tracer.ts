import { Tracer } from '@aws-lambda-powertools/tracer';

// Apart from the logger: only functions that call AWS services load the X-Ray SDK (about 110 KB).
export const tracer = new Tracer();
