// Show only the districts of the chosen city (the form works without this script too).
(function () {
  const city = document.getElementById("city");
  const district = document.getElementById("district");
  if (!city || !district) return;
  function sync() {
    for (const group of district.querySelectorAll("optgroup")) {
      const shown = !city.value || group.dataset.city === city.value;
      group.hidden = !shown;
      group.disabled = !shown;
    }
    const chosen = district.selectedOptions[0];
    if (chosen && chosen.parentElement.disabled) district.value = "";
  }
  city.addEventListener("change", sync);
  sync();
})();
