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

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("content-form");
    if (form) setupContentForm(form);
    setupPlainCounters();
  });
})();
