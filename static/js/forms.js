// Move focus to the error summary after a failed submission, so screen readers and keyboard users start there.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
});

// The message form: changing a recipient filter counts the audience again at once, so the count and the
// confirmation on screen are always those of the filters on screen (without script, "Count them again").
document.addEventListener("change", function (event) {
  var select = event.target;
  if (!select.matches || !select.matches("select[data-recount]")) { return; }
  var button = document.getElementById("recount");
  if (button && select.form && select.form.requestSubmit) { select.form.requestSubmit(button); }
});
