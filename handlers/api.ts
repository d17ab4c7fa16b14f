import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { AwsCredentialClients } from '../lib/adapters/lambda/credential-clients';
import { parseDatabaseEnvironment } from '../lib/adapters/lambda/environment';
import { PowertoolsEventLogger } from '../lib/adapters/lambda/logger';
import { PgApiDatabases } from '../lib/api/pg-api-databases';
import type { ApiResponse } from '../lib/api/responses';
import { serveHttpRequest } from '../lib/api/serve';

// Module scope: warm invocations reuse the logger, the AWS clients and the database connection.
const powertools = new Logger({ serviceName: 'stagegate-example-api' });
const logger = new PowertoolsEventLogger(powertools);
const databases = new PgApiDatabases({ clients: new AwsCredentialClients(), logger });
const clock = { now: () => Date.now() };

/**
 * The example API over the `organization` tables, behind an API Gateway HTTP
 * API (payload v2.0): `GET /organizations`, `GET /organizations/{id}`,
 * `POST /organizations` and `GET /health`. Always returns a JSON response;
 * errors are `{ "error": { "code", "message" } }`.
 *
 * @example
 * await handler(event, context); // { statusCode: 200, headers: { 'content-type': 'application/json; charset=utf-8', … }, body: '{"organizations":[…]}' }
 */
export async function handler(event: APIGatewayProxyEventV2, context: Context): Promise<ApiResponse> {
  powertools.resetKeys();
  powertools.addContext(context);
  // API Gateway's request id, which the client sees in the apigw-requestid header.
  powertools.setCorrelationId((event as Partial<APIGatewayProxyEventV2>).requestContext?.requestId);
  return serveHttpRequest(event, {
    database: () => {
      const config = parseDatabaseEnvironment(process.env);
      return { db: databases.for(config.database), ledgerSchema: config.schema };
    },
    logger,
    clock,
  });
}
