// Move focus to the error summary after a failed submission, so screen readers and keyboard users start there.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
});
