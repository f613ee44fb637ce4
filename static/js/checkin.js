// Check-in pages: the list narrows as you type, and "Check in" / "Undo" post with fetch() and update the
// row and the counts without reloading. Without this script the search and the buttons are plain forms.
(function () {
  "use strict";

  // Lower case without accents, so "garcia" finds García and "zoe" finds Zoë.
  function fold(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function start() {
    var root = document.querySelector("[data-checkin]");
    if (!root) { return; }
    var searchForm = root.querySelector("[data-search-form]");
    var input = searchForm.querySelector("input[name=q]");
    var people = root.querySelector("[data-people]");
    var shown = root.querySelector("[data-shown]");
    var errorBox = root.querySelector("[data-error]");
    var count = root.querySelector("[data-count]");
    var total = root.querySelector("[data-total]");
    // A page opened with ?q= lists only the server's matches: searching everyone again needs the server.
    var searchedOnServer = root.getAttribute("data-q") !== "";
    var rows = people ? Array.prototype.slice.call(people.querySelectorAll("[data-search]")) : [];
    var haystacks = rows.map(function (row) { return fold(row.getAttribute("data-search")); });

    function narrow() {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      var visible = 0;
      rows.forEach(function (row, i) {
        var match = words.every(function (word) { return haystacks[i].indexOf(word) !== -1; });
        row.hidden = !match;
        if (match) { visible += 1; }
      });
      shown.hidden = words.length === 0;
      shown.textContent = visible === 0 ? "No one matches \u201c" + input.value.trim() + "\u201d."
        : visible + (visible === 1 ? " person matches." : " people match.");
    }

    function showError(message) {
      errorBox.textContent = message;
      errorBox.hidden = false;
    }

    input.addEventListener("input", narrow);
    input.addEventListener("focus", function () { input.select(); });  // the next name replaces the last
    searchForm.addEventListener("submit", function (event) {
      if (searchedOnServer) { return; }
      event.preventDefault();  // the list is already narrowed; just put the keyboard away
      narrow();
      input.blur();
    });
    if (input.value) { narrow(); }

    if (!people || !window.fetch) { return; }
    var token = people.querySelector("input[name=csrf_token]").value;

    people.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || !button.formAction) { return; }  // an old browser: the form posts as without script
      event.preventDefault();
      if (button.disabled) { return; }
      button.disabled = true;
      var data = new FormData();
      data.append("csrf_token", token);
      data.append("action", button.value);
      fetch(button.formAction, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRFToken": token },
      }).then(function (response) {
        var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        if (!json || response.redirected) {
          throw new Error("That did not go through. Reload the page (you may have to sign in again) and try again.");
        }
        return response.json().then(function (body) {
          if (!response.ok) { throw new Error(body.error || "That did not go through; try again."); }
          return body;
        });
      }).then(function (body) {
        var row = button.closest("li");
        row.classList.toggle("is-in", body.checked_in);
        row.querySelector("[data-state]").textContent = body.checked_in ? "\u2713 Checked in" : "";
        button.value = body.checked_in ? "undo" : "in";
        button.querySelector("[data-label]").textContent = body.checked_in ? "Undo" : "Check in";
        button.classList.toggle("button-secondary", body.checked_in);
        count.textContent = body.count;
        total.textContent = body.total;
        errorBox.hidden = true;
      }).catch(function (error) {
        showError(error instanceof TypeError ? "No connection: nothing was saved. Try again." : error.message);
      }).then(function () {
        button.disabled = false;
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
