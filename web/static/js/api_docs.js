// Starts Swagger UI on /docs (web/templates/api/docs.html) from a file, not an inline
// script, so the page works under a Content-Security-Policy without 'unsafe-inline'.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    // Swagger UI would otherwise post the document to validator.swagger.io: nothing leaves the network.
    validatorUrl: null,
  });
})();
