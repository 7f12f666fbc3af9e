/* Tizim's scripts: loaded as a file, so the Content-Security-Policy allows no inline script. */
(function () {
  "use strict";

  /* A form with data-confirm asks before it is sent (closing a session, forwarding in bulk). */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  /* A button with data-action="back" goes back one page (error pages). */
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest('[data-action="back"]') : null;
    if (button) { window.history.back(); }
  });

  /* A button with data-action="print" prints the page (a destruction record). */
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest('[data-action="print"]') : null;
    if (button) { window.print(); }
  });

  /* An issuing batch's progress (templates/issuing/_progress.html) polls itself every second. */
  function follow(box) {
    function set(name, value) {
      box.querySelectorAll('[data-field="' + name + '"]').forEach(function (el) { el.textContent = value; });
    }
    function poll() {
      fetch(box.dataset.progressUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (p) {
          set("done", p.done); set("failed", p.failed); set("pending", p.pending);
          var bar = box.querySelector('[data-field="bar"]');
          bar.style.width = p.percent + "%";
          bar.parentElement.setAttribute("aria-valuenow", p.percent);
          var rows = box.querySelector('[data-field="failures"]');
          rows.replaceChildren.apply(rows, p.failures.map(function (f) {
            var tr = document.createElement("tr"), a = document.createElement("td"), b = document.createElement("td");
            a.className = "refcode"; a.textContent = f.reference_code; b.textContent = f.reason;
            tr.append(a, b); return tr;
          }));
          box.querySelector('[data-field="failures-box"]').hidden = p.failures.length === 0;
          box.querySelector('[data-field="finished"]').hidden = !p.finished;
          if (p.finished) { bar.classList.remove("progress-bar-striped", "progress-bar-animated"); }
          else { setTimeout(poll, 1000); }
        })
        .catch(function () { setTimeout(poll, 5000); });
    }
    if (box.querySelector('[data-field="finished"]').hidden) { setTimeout(poll, 1000); }
  }
  document.querySelectorAll(".issuing-progress[data-progress-url]").forEach(follow);

  /* A paper being made (templates/papers/paper.html) shows itself as soon as it is ready. */
  function followPaper(box) {
    function field(name) { return box.querySelector('[data-field="' + name + '"]'); }
    if (!field("ready").hidden || !field("failed").hidden) { return; }
    function poll() {
      fetch(box.dataset.progressUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (p) {
          field("bar").style.width = p.progress + "%";
          field("bar").parentElement.setAttribute("aria-valuenow", p.progress);
          if (p.ready) {
            field("waiting").hidden = true; field("ready").hidden = false;
          } else if (p.failed) {
            field("waiting").hidden = true; field("failed").hidden = false;
            field("error").textContent = p.error || "";
          } else { setTimeout(poll, 1000); }
        })
        .catch(function () { setTimeout(poll, 5000); });
    }
    setTimeout(poll, 1000);
  }
  document.querySelectorAll(".paper-progress[data-progress-url]").forEach(followPaper);
})();

/* A form with data-max-file-bytes checks the chosen files' sizes before sending: a request over
   the server's limit could not be read at all, and everything typed would be lost. The server
   checks again (workflow/nominations/views.py: too_large, documents.services.check). */
(function () {
  "use strict";
  function say(input, text) {
    var box = input.parentElement.querySelector(".js-size-error");
    if (box) { box.remove(); }
    input.classList.toggle("is-invalid", !!text);
    if (!text) { return; }
    box = document.createElement("div");
    box.className = "invalid-feedback d-block js-size-error";
    box.setAttribute("role", "alert");
    box.textContent = text;
    input.insertAdjacentElement("afterend", box);
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.dataset || !form.dataset.maxFileBytes) { return; }
    var each = parseInt(form.dataset.maxFileBytes, 10), all = parseInt(form.dataset.maxTotalBytes, 10);
    var total = 0, first = null;
    form.querySelectorAll('input[type="file"]').forEach(function (input) {
      var size = 0;
      Array.prototype.forEach.call(input.files || [], function (f) { size += f.size; });
      total += size;
      var tooLarge = size > each;
      say(input, tooLarge ? form.dataset.fileTooLarge : "");
      if (tooLarge && !first) { first = input; }
    });
    if (!first && total > all) {
      first = form.querySelector('input[type="file"]');
      if (first) { say(first, form.dataset.filesTooLarge); }
    }
    if (first) {
      event.preventDefault();
      event.stopImmediatePropagation();
      first.focus();
    }
  }, true);
})();

/* The IIN as it is typed (templates/candidates/_person.html, input[data-iin]): a valid number
   fills in the date of birth and the sex; a wrong check digit is said at once. The rules are
   workflow/iin.py's; the server checks again and stays the authority. */
(function () {
  "use strict";
  var W1 = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], W2 = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];
  var CENTURY = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000};
  function weighted(d, w) {
    var s = 0;
    for (var i = 0; i < 11; i++) { s += d[i] * w[i]; }
    return s % 11;
  }
  function checkDigit(d) {
    var s = weighted(d, W1);
    if (s === 10) { s = weighted(d, W2); if (s === 10) { return null; } }
    return s;
  }
  /* {ok, reason, born: "YYYY-MM-DD", sex} for twelve digits; null before there are twelve. */
  function parse(value) {
    var v = value.replace(/[\s-]/g, "");
    if (!/^\d{12}$/.test(v)) { return null; }
    var d = v.split("").map(Number), c = d[6];
    if (!CENTURY[c]) { return {ok: false, reason: "invalid"}; }
    var year = CENTURY[c] + Number(v.slice(0, 2)), month = Number(v.slice(2, 4)), day = Number(v.slice(4, 6));
    var when = new Date(Date.UTC(year, month - 1, day));
    if (when.getUTCFullYear() !== year || when.getUTCMonth() !== month - 1 || when.getUTCDate() !== day) {
      return {ok: false, reason: "invalid"};
    }
    if (checkDigit(d) !== d[11]) { return {ok: false, reason: "checksum"}; }
    return {ok: true, born: when.toISOString().slice(0, 10), sex: c % 2 ? "male" : "female"};
  }
  function say(input, text, bad) {
    var box = input.parentElement.querySelector(".js-iin-feedback");
    if (box) { box.remove(); }
    input.classList.toggle("is-invalid", !!bad);
    if (!text) { return; }
    box = document.createElement("div");
    box.className = "js-iin-feedback " + (bad ? "invalid-feedback d-block" : "form-text text-success");
    box.setAttribute("role", bad ? "alert" : "status");
    box.textContent = text;
    input.insertAdjacentElement("afterend", box);
  }
  function follow(input) {
    var form = input.form;
    function update() {
      var found = parse(input.value);
      if (!found) { say(input, "", false); return; }
      if (!found.ok) {
        say(input, found.reason === "checksum" ? input.dataset.iinChecksum : input.dataset.iinInvalid, true);
        return;
      }
      var born = form && form.querySelector('input[name="birth_date"]');
      var sex = form && form.querySelector('select[name="sex"]');
      if (born && !born.readOnly) { born.value = found.born; }
      if (sex && !sex.disabled) { sex.value = found.sex; }
      say(input, input.dataset.iinFilled, false);
    }
    input.addEventListener("input", update);
  }
  document.querySelectorAll("input[data-iin]").forEach(follow);
})();

/* A queue's bulk actions (templates/secretariat/queue.html): a box ticks every row of the page,
   and the bar says how many are ticked. Every box is a real checkbox, so the keyboard works. */
(function () {
  "use strict";
  document.querySelectorAll("[data-pick-all]").forEach(function (all) {
    var form = all.form || all.closest("form");
    var name = all.getAttribute("data-pick-all");
    var count = form && form.querySelector('[data-pick-count="' + name + '"]');
    function boxes() { return form.querySelectorAll('input[type="checkbox"][name="' + name + '"]'); }
    function update() {
      var list = boxes(), ticked = 0;
      list.forEach(function (b) { if (b.checked) { ticked += 1; } });
      all.checked = list.length > 0 && ticked === list.length;
      all.indeterminate = ticked > 0 && ticked < list.length;
      if (count) {
        count.textContent = ticked ? count.getAttribute("data-pick-some").replace("#", ticked)
                                   : count.getAttribute("data-pick-none");
      }
    }
    all.addEventListener("change", function () {
      boxes().forEach(function (b) { b.checked = all.checked; });
      update();
    });
    form.addEventListener("change", function (event) {
      if (event.target.name === name) { update(); }
    });
    update();
  });
})();
