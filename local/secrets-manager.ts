import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Secrets Manager's GetSecretValue on one machine, for the handlers' real SDK client (pointed here by
 * AWS_ENDPOINT_URL_SECRETS_MANAGER): the JSON 1.1 protocol, one action, secrets held in memory. Only
 * `npm start` registers it; nothing in a template refers to it.
 */
export function registerLocalSecrets(
  app: FastifyInstance,
  path: string,
  secrets: ReadonlyMap<string, string>,
): void {
  const json = { 'content-type': 'application/x-amz-json-1.1' };
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const action = String(req.headers['x-amz-target'] ?? '');
    if (action !== 'secretsmanager.GetSecretValue') {
      return reply
        .code(400)
        .headers(json)
        .send({ __type: 'InvalidRequestException', message: `${action} is not served locally` });
    }
    let secretId: unknown;
    try {
      secretId = (JSON.parse(String(req.body ?? '{}')) as { SecretId?: unknown }).SecretId;
    } catch {
      secretId = undefined;
    }
    const value = typeof secretId === 'string' ? secrets.get(secretId) : undefined;
    if (value === undefined) {
      return reply.code(400).headers(json).send({
        __type: 'ResourceNotFoundException',
        message: "Secrets Manager can't find the specified secret.",
      });
    }
    return reply.headers(json).send({
      ARN: secretId,
      Name: String(secretId).split(':').pop(),
      SecretString: value,
      VersionId: 'local',
      VersionStages: ['AWSCURRENT'],
      CreatedDate: 0,
    });
  };
  app.post(path, handler);
  app.post(`${path}/`, handler);
}
