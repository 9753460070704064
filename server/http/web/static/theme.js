// Applies the reader's chosen colour theme before the page is painted; app.js holds the switch.
(() => {
  try {
    const theme = localStorage.getItem("atoll-theme");
    if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
  } catch {
    // Storage may be disabled; the system theme applies.
  }
})();
