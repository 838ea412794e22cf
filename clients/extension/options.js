import { loadSettings, saveSettings } from "./api.js";

const form = document.getElementById("options");
const server = document.getElementById("server");
const token = document.getElementById("token");
const saved = document.getElementById("saved");
document.getElementById("origin").textContent = location.origin;

// The stored settings fill the fields, unless someone typed in them while they loaded.
loadSettings().then((settings) => {
  server.value ||= settings.server;
  token.value ||= settings.token;
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  await saveSettings(server.value, token.value);
  saved.textContent = "Saved.";
});
