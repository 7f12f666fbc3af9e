// The API documentation page (/api/v1/docs): Swagger UI, vendored, over the served document.
// No inline script (the Content-Security-Policy allows none): the page names the document's
// address in data-spec-url.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    deepLinking: true,
    tryItOutEnabled: false,
    supportedSubmitMethods: ["get"],
    validatorUrl: null,
  });
})();
