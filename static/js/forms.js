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

// A time the server could only say in UTC (<time data-local>, e.g. a change to an account) is said again
// in the viewer's own zone, in the same words: "Thu, Dec 3, 2026, 8:05 AM PST".
document.addEventListener("DOMContentLoaded", function () {
  if (!window.Intl || !Intl.DateTimeFormat) { return; }
  var words = new Intl.DateTimeFormat("en-US", {weekday: "short", month: "short", day: "numeric", year: "numeric",
                                                hour: "numeric", minute: "2-digit", timeZoneName: "short"});
  document.querySelectorAll("time[data-local]").forEach(function (time) {
    var moment = new Date(time.getAttribute("datetime"));
    if (!isNaN(moment.getTime())) { time.textContent = words.format(moment).replace(" at ", ", "); }
  });
});
