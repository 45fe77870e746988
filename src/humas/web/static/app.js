// humas: progressive enhancement only; every page works without it. Loaded from /static (the CSP allows no
// inline script). Live character counters for the content form: an estimate, the server check decides.
(function () {
  "use strict";

  function weightedX(text) {
    // X counts URLs as 23 and most characters outside Latin/general punctuation ranges as 2 (twitter-text v3)
    var urlRe = /https?:\/\/\S+/g;
    var n = 0;
    var rest = text.replace(urlRe, function () { n += 23; return ""; });
    for (var ch of rest) {
      var cp = ch.codePointAt(0);
      var light = (cp <= 0x10ff) || (cp >= 0x2000 && cp <= 0x200d) || (cp >= 0x2010 && cp <= 0x201f) ||
        (cp >= 0x2032 && cp <= 0x2037);
      n += light ? 1 : 2;
    }
    return n;
  }

  function measure(text, counter) {
    if (counter === "x-weighted") return weightedX(text);
    if (counter === "utf8-bytes") return new TextEncoder().encode(text).length;
    return Array.from(text).length;
  }

  function setupContentForm(form) {
    var out = form.querySelector("#counters");
    if (!out) return;
    var field = function (name) { var el = form.elements.namedItem(name); return el ? el.value : ""; };
    function update() {
      out.textContent = "";
      form.querySelectorAll('input[name="accounts"]:checked').forEach(function (box) {
        var key = box.dataset.key;
        var text = field("pc_" + key) || field("caption") || field("text");
        var n = measure(text, box.dataset.counter);
        var max = parseInt(box.dataset.max || "0", 10);
        var span = document.createElement("span");
        span.className = "counter" + (max && n > max ? " over" : "");
        span.textContent = box.dataset.label + ": " + n + (max ? " / " + max : "");
        out.appendChild(span);
      });
    }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    update();
  }

  function setupPlainCounters() {
    document.querySelectorAll("textarea[data-count]").forEach(function (ta) {
      if (ta.closest("#content-form")) return;
      var span = document.createElement("span");
      span.className = "counter";
      ta.insertAdjacentElement("afterend", span);
      var update = function () { span.textContent = Array.from(ta.value).length + " karakter"; };
      ta.addEventListener("input", update);
      update();
    });
  }

  // Destructive actions ask first: a form with data-confirm="question" is sent only when the person agrees.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.dataset ? form.dataset.confirm : "";
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);

  // The calendar: a scheduled post dragged onto another day (month view) or day and hour (week view) is moved
  // there by the same POST a form would send; the server checks roles, state and time as for any schedule.
  function setupCalendarMoves(form) {
    var dragged = null;
    document.querySelectorAll(".event[data-job]").forEach(function (el) {
      el.addEventListener("dragstart", function (event) {
        dragged = el;
        event.dataTransfer.setData("text/plain", el.dataset.job);
        event.dataTransfer.effectAllowed = "move";
      });
      el.addEventListener("dragend", function () { dragged = null; });
    });
    document.querySelectorAll("[data-day]").forEach(function (cell) {
      cell.addEventListener("dragover", function (event) {
        if (!dragged) return;
        event.preventDefault();
        cell.classList.add("drop");
      });
      cell.addEventListener("dragleave", function () { cell.classList.remove("drop"); });
      cell.addEventListener("drop", function (event) {
        event.preventDefault();
        cell.classList.remove("drop");
        if (!dragged) return;
        var time = dragged.dataset.time;
        if (cell.dataset.hour) time = ("0" + cell.dataset.hour).slice(-2) + time.slice(2);
        form.action = "/antrian/" + dragged.dataset.job + "/jadwal";
        form.elements.namedItem("at").value = cell.dataset.day + "T" + time;
        form.submit();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("content-form");
    if (form) setupContentForm(form);
    setupPlainCounters();
    var move = document.getElementById("move-job");
    if (move) setupCalendarMoves(move);
  });
})();
