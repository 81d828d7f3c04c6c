// The gate page's editor checks; a static file, so the Content-Security-Policy allows no inline script.
// Check the edits in the browser before sending: JSON fields must parse, and each field
// must meet the schema's limits the inputs carry. The server checks the schema again.
(function () {
  var form = document.getElementById("decision-form");
  function check(el) {
    var message = "";
    if (el.dataset.kind === "json" && el.value.trim() !== "") {
      try { JSON.parse(el.value); } catch (e) { message = "not valid JSON: " + e.message; }
    }
    el.setCustomValidity(message);
    var box = document.getElementById("err-" + el.id.slice(2));
    if (box) { box.textContent = message || (el.validity.valid ? "" : el.validationMessage); }
    return el.checkValidity();
  }
  form.querySelectorAll("[data-kind]").forEach(function (el) {
    el.addEventListener("input", function () { check(el); });
  });
  form.addEventListener("submit", function (event) {
    if (!event.submitter || !event.submitter.hasAttribute("data-validate")) { return; }
    var ok = true;
    form.querySelectorAll("[data-kind]").forEach(function (el) { ok = check(el) && ok; });
    if (!ok) { event.preventDefault(); }
  });
})();
