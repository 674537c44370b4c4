// The inquiry form: the district list shows the chosen city's districts only (without script
// every city's districts show, grouped by city, and a mismatch is refused in words).
const city = document.getElementById("city");
const district = document.getElementById("district");
if (city && district) {
  const show = () => {
    district.querySelectorAll("optgroup").forEach((group) => {
      const here = group.label === city.value;
      group.hidden = !here;
      group.disabled = !here;
    });
    const chosen = district.selectedOptions[0];
    if (chosen && chosen.parentElement.tagName === "OPTGROUP" && chosen.parentElement.disabled) {
      district.value = "";
    }
  };
  city.addEventListener("change", show);
  show();
}
