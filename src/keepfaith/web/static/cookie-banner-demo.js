/* The cookie banner demo's one script. Loaded as a blocked tag (data-category) it
 * reports that it ran; loaded plainly it wires the "Change cookie choices" button. */
(function (me) {
  "use strict";
  var category = me && me.getAttribute("data-category");
  if (category) {
    document.getElementById("ran-" + category).textContent = "ran";
    return;
  }
  document.getElementById("change-cookies").addEventListener("click", function () {
    window.keepfaithCookies.reopen();
  });
})(document.currentScript);
