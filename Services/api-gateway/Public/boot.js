// Never a blank page: if the app's modules did not start (a file failed to load, a browser without ES modules),
// say so instead of showing nothing.
(function () {
  function fail() {
    if (document.documentElement.getAttribute("data-app") === "started") return;
    var box = document.getElementById("boot-status");
    if (!box) return;
    box.setAttribute("role", "alert");
    box.setAttribute("data-testid", "boot-error");
    box.textContent = "The chat app could not start. Reload the page; if this persists, your browser may be " +
      "too old (it needs JavaScript modules) or the app's files could not be loaded.";
  }
  window.addEventListener("error", function (event) {
    if (event.target && event.target.tagName === "SCRIPT") fail();
  }, true);
  setTimeout(fail, 10000);
})();
