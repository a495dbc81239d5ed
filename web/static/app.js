// allot admin center: small enhancements; every page works without them.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // "Select all on this page" checks every row's box.
  document.querySelectorAll("input[data-select-all]").forEach(function (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll("input[name=user]").forEach(function (box) { box.checked = all.checked; });
    });
  });
});
