// allot admin center: small enhancements; every page works without them.
"use strict";

// selectAll makes "select every user on this page" check every row's box.
function selectAll() {
  document.querySelectorAll("input[data-select-all]").forEach(function (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll("input[name=user]").forEach(function (box) { box.checked = all.checked; });
    });
  });
}

// chunkedUnassign runs "unassign from all N matching" a chunk at a time,
// with a progress bar and the result so far; on any failure it falls back
// to posting the form, which does everything in one request (the changes
// are idempotent).
function chunkedUnassign() {
  var form = document.getElementById("run-form");
  if (!form || !form.querySelector("input[name=all]")) {
    return;
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var bar = document.getElementById("progress-bar");
    var result = document.getElementById("progress-result");
    var lines = result.querySelector(".lines");
    var refusals = result.querySelector(".refusals");
    var total = Number(form.dataset.total) || 1;
    bar.max = total;
    bar.value = 0;
    document.getElementById("progress").classList.remove("hidden");
    form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    var state = { after: "", done: 0, unchanged: 0, refused: 0 };
    function fallback() { HTMLFormElement.prototype.submit.call(form); }
    function show(a) {
      bar.value = Math.min(total, bar.value + a.processed);
      lines.textContent = "";
      a.lines.forEach(function (text, i) {
        var p = document.createElement("p");
        p.className = i === 0 ? "ok" : (i === 2 ? "error" : "");
        p.textContent = text;
        lines.appendChild(p);
      });
      a.refusals.forEach(function (r) {
        var li = document.createElement("li");
        var who = document.createElement("strong");
        who.textContent = r.user;
        li.appendChild(who);
        li.appendChild(document.createTextNode(" — " + r.reason));
        refusals.appendChild(li);
      });
    }
    function step() {
      var data = new URLSearchParams(new FormData(form));
      data.set("step", "chunk");
      data.set("after", state.after);
      data.set("done", state.done);
      data.set("unchanged", state.unchanged);
      data.set("refused", state.refused);
      fetch(form.action, { method: "POST", body: data, credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (res) {
          if (!res.ok) { throw new Error("status " + res.status); }
          return res.json();
        })
        .then(function (a) {
          show(a);
          state = { after: a.next, done: a.done, unchanged: a.unchanged, refused: a.refused };
          if (a.next) {
            step();
            return;
          }
          bar.value = total;
          form.classList.add("hidden");
          result.classList.remove("hidden");
        })
        .catch(fallback);
    }
    step();
  });
}

// userPicker suggests users by display name in the assign field: each
// suggestion keeps the names typed before the last comma.
function userPicker() {
  var input = document.querySelector("input[data-candidates]");
  if (!input) {
    return;
  }
  var list = document.getElementById(input.getAttribute("list"));
  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var cut = input.value.lastIndexOf(",");
      var before = cut < 0 ? "" : input.value.slice(0, cut + 1) + " ";
      var q = input.value.slice(cut + 1).trim();
      if (q === "" || q.indexOf("@") >= 0) {
        return;
      }
      var asked = input.value;
      fetch(input.dataset.candidates + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (res) { return res.ok ? res.json() : []; })
        .then(function (users) {
          if (input.value !== asked) {
            return; // a later keystroke asked again
          }
          list.textContent = "";
          users.forEach(function (u) {
            var o = document.createElement("option");
            o.value = before + u.upn;
            o.label = u.name;
            list.appendChild(o);
          });
        })
        .catch(function () {});
    }, 150);
  });
}

// copyButtons copies the field a button names (data-copy) to the
// clipboard and says so on the button (data-copied).
function copyButtons() {
  document.querySelectorAll("button[data-copy]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var field = document.getElementById(btn.dataset.copy);
      field.select();
      if (navigator.clipboard) {
        navigator.clipboard.writeText(field.value).then(function () { btn.textContent = btn.dataset.copied; }).catch(function () {});
      }
    });
  });
}

document.addEventListener("DOMContentLoaded", function () {
  copyButtons();
  selectAll();
  chunkedUnassign();
  userPicker();
});
