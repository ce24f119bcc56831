// The API reference at /api/docs: Swagger UI, bundled into the project's
// build (no CDN), rendering the OpenAPI document the API serves on the same
// origin, so that "Try it out" calls this API and nothing else.
import SwaggerUIBundle from "swagger-ui-dist/swagger-ui-bundle.js";
import "swagger-ui-dist/swagger-ui.css";
import "./docs.css";

SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#docs",
  // The operations are linked by their id (#/auth/auth-login).
  deepLinking: true,
  displayOperationId: true,
  displayRequestDuration: true,
  // No badge from validator.swagger.io: the page calls its own origin only.
  validatorUrl: null,
  // ?url= and ?configUrl= are ignored: the page renders this API's document.
  queryConfigEnabled: false,
  // A token pasted into "Authorize" lives as long as the tab.
  persistAuthorization: false,
  tryItOutEnabled: false,
});
