/* Progressive enhancement for the portal. Every page works without it. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // Language switch: submit on change.
  function autosubmit() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }

  // Step 1: known platforms as you type, offered through the input's <datalist>.
  function platformSearch() {
    document.querySelectorAll("[data-platform-search-url]").forEach(function (box) {
      var input = box.querySelector("input[data-platform-search]");
      var list = box.querySelector("datalist");
      if (!input || !list) return;
      var timer = null, last = "";
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () {
          var q = input.value.trim();
          if (!q || q === last) return;
          last = q;
          fetch(box.dataset.platformSearchUrl + "?q=" + encodeURIComponent(q), {
            headers: { "X-Requested-With": "fetch" }, credentials: "same-origin"
          }).then(function (r) { return r.ok ? r.json() : { results: [] }; }).then(function (data) {
            list.innerHTML = "";
            data.results.forEach(function (result) {
              var option = document.createElement("option");
              option.value = result.name;
              list.appendChild(option);
            });
          }).catch(function () {});
        }, 150);
      });
    });
  }

  // Live countdowns to each deadline; red once overdue.
  function countdowns() {
    var clocks = document.querySelectorAll("time[data-countdown]");
    if (!clocks.length) return;
    function format(seconds, units) {
      var s = Math.abs(seconds), d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600),
        m = Math.floor((s % 3600) / 60), sec = Math.floor(s % 60);
      if (d) return d + " " + units[0] + " " + h + " " + units[1];
      if (h) return h + " " + units[1] + " " + m + " " + units[2];
      return m + " " + units[2] + " " + sec + " " + units[3];
    }
    function tick() {
      var now = Date.now();
      clocks.forEach(function (clock) {
        var due = Date.parse(clock.getAttribute("datetime"));
        if (isNaN(due)) return;
        var left = Math.round((due - now) / 1000);
        var units = (clock.dataset.units || "d,h,min,s").split(",");
        var label = left < 0 ? clock.dataset.overdueLabel : clock.dataset.leftLabel;
        clock.textContent = label.replace("%(time)s", format(left, units));
        clock.classList.toggle("overdue", left < 0);
      });
    }
    tick();
    setInterval(tick, 1000);
  }

  // Copy a filing document for web forms such as 12315's.
  function copyButtons() {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var source = document.querySelector(button.dataset.copy);
        var done = button.parentNode.querySelector("[data-copy-done]");
        function shown() { if (done) done.hidden = false; }
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(source.value).then(shown);
        } else {
          source.select();
          document.execCommand("copy");
          shown();
        }
      });
    });
  }

  // Uploads: one request per file with its own progress bar; drag and drop onto the zone.
  function uploads() {
    document.querySelectorAll("form[data-upload]").forEach(function (form) {
      var input = form.querySelector("input[type=file]");
      var progress = form.querySelector("[data-progress]");
      var zone = form.querySelector("[data-dropzone]");
      if (!input || !progress || !window.FormData) return;

      function sendOne(file) {
        return new Promise(function (resolve) {
          var row = document.createElement("li");
          var bar = document.createElement("progress");
          bar.max = 100; bar.value = 0;
          row.textContent = file.name + " ";
          row.appendChild(bar);
          progress.appendChild(row);
          var data = new FormData();
          data.append("csrfmiddlewaretoken", csrfToken(form));
          data.append("kind", form.querySelector("[name=kind]").value);
          var occurred = form.querySelector("[name=occurred_at]");
          if (occurred) data.append("occurred_at", occurred.value);
          data.append("files", file);
          var xhr = new XMLHttpRequest();
          xhr.open("POST", form.getAttribute("action") || window.location.href);
          xhr.setRequestHeader("X-Requested-With", "fetch");
          xhr.upload.addEventListener("progress", function (e) {
            if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
          });
          xhr.addEventListener("load", function () {
            var ok = xhr.status < 400, message = "";
            try {
              var body = JSON.parse(xhr.responseText);
              if (body.errors && body.errors.length) message = body.errors.join(" ");
            } catch (err) { /* an HTML answer: the status says it all */ }
            bar.value = 100;
            row.classList.add(ok && !message ? "ok" : "failed");
            if (message) { var p = document.createElement("span"); p.className = "error"; p.textContent = " " + message; row.appendChild(p); }
            resolve(ok && !message);
          });
          xhr.addEventListener("error", function () { row.classList.add("failed"); resolve(false); });
          xhr.send(data);
        });
      }

      // One file after another: a phone's uplink is better spent finishing one file at a time.
      function sendAll(files) {
        if (!files.length) return;
        var list = Array.prototype.slice.call(files), results = [];
        list.reduce(function (chain, file) {
          return chain.then(function () { return sendOne(file).then(function (ok) { results.push(ok); }); });
        }, Promise.resolve()).then(function () {
          if (results.every(Boolean)) window.location.reload();
        });
      }

      form.addEventListener("submit", function (event) {
        if (!input.files.length) return;
        event.preventDefault();
        sendAll(input.files);
      });
      if (zone) {
        ["dragenter", "dragover"].forEach(function (name) {
          zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add("dragging"); });
        });
        ["dragleave", "drop"].forEach(function (name) {
          zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.remove("dragging"); });
        });
        zone.addEventListener("drop", function (e) { sendAll(e.dataTransfer.files); });
      }
    });
  }

  // Wizard steps: keep what is typed on the server as it is typed (a reload loses nothing).
  function autosave() {
    document.querySelectorAll("form[data-draft-form]").forEach(function (form) {
      var timer = null;
      function save() {
        var data = new FormData(form);
        data.append("autosave", "1");
        fetch(form.getAttribute("action") || window.location.href, {
          method: "POST", body: data, credentials: "same-origin",
          headers: { "X-Requested-With": "fetch" }
        }).catch(function () {});
      }
      function later() { clearTimeout(timer); timer = setTimeout(save, 400); }
      form.addEventListener("input", later);
      form.addEventListener("change", later);
      // Sending the step on saves it anyway: no autosave racing the real submit.
      form.addEventListener("submit", function () { clearTimeout(timer); });
    });
  }

  ready(function () {
    autosave();
    autosubmit();
    platformSearch();
    countdowns();
    copyButtons();
    uploads();
  });
})();
