// The API's interactive documentation (/docs): Swagger UI from web/node_modules, started from
// this file rather than an inline script, so the page runs under the API's Content-Security-Policy.
window.addEventListener("DOMContentLoaded", () => {
  window.ui = window.SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
