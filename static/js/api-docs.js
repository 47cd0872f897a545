// /api/v1/docs: Swagger UI reading the API's description (its address is on the page's
// #swagger-ui element). A file of its own, not an inline script: the Content-Security-Policy
// runs only this site's scripts.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.ui = window.SwaggerUIBundle({
    url: root.dataset.description,
    domNode: root,
    deepLinking: true,
    // "Try it out" sends the token typed in "Authorize" as `Authorization: Bearer …`
    persistAuthorization: false,
    // no call to the public validator service: the policy allows this site only
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
