// Swagger UI's prebuilt bundle: the options the docs page sets
// (https://swagger.io/docs/open-source-tools/swagger-ui/usage/configuration/).
declare module "swagger-ui-dist/swagger-ui-bundle.js" {
  interface SwaggerUIOptions {
    url: string;
    dom_id: string;
    deepLinking?: boolean;
    displayOperationId?: boolean;
    displayRequestDuration?: boolean;
    validatorUrl?: string | null;
    queryConfigEnabled?: boolean;
    persistAuthorization?: boolean;
    tryItOutEnabled?: boolean;
  }
  export default function SwaggerUIBundle(options: SwaggerUIOptions): unknown;
}
