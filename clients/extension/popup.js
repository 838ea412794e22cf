import { ApiError, logMessage, lookUp } from "./api.js";
import { messageAddresses } from "./message.js";

const raw = document.getElementById("raw");
const file = document.getElementById("file");
const status = document.getElementById("status");
const lookupButton = document.getElementById("lookup");
const logButton = document.getElementById("log");
const addressesSection = document.getElementById("addresses");
const decisionSection = document.getElementById("decision");

// The bytes of a dropped or chosen .eml file, sent as they are; null: send the text area.
let fileBytes = null;

const OUTCOME_WORDS = { logged: "logged", pending: "pending", not_logged: "not logged" };

function say(text, isError = false) {
  status.textContent = text;
  status.className = isError ? "error" : "";
}

function row(cells, className) {
  const tr = document.createElement("tr");
  if (className) tr.className = className;
  for (const text of cells) {
    const td = document.createElement("td");
    td.textContent = text;
    tr.append(td);
  }
  return tr;
}

function describe(item) {
  const words = [];
  if (item.is_user) words.push("a user of your projects");
  for (const contact of item.contacts) {
    words.push(`contact ${contact.name || contact.contact_id} (project ${contact.project_id})`);
  }
  if (item.ignored) words.push("ignored: mail with it is never logged");
  if (item.never_log) words.push("never logged");
  return words.length ? words.join("; ") : "not a contact";
}

function show(section, rows) {
  const body = section.querySelector("tbody");
  body.replaceChildren(...rows);
  section.hidden = false;
}

async function guarded(button, work) {
  button.disabled = true;
  try {
    await work();
  } catch (error) {
    say(error instanceof ApiError ? error.message : String(error), true);
  } finally {
    button.disabled = false;
  }
}

async function lookUpAddresses() {
  const addresses = messageAddresses(raw.value);
  if (!addresses.length) {
    say("No From, To or Cc address found: paste the whole message, headers included.", true);
    return;
  }
  const answer = await lookUp(addresses);
  show(addressesSection, answer.items.map((item) => row([item.address, describe(item)])));
  say(`${answer.items.length} addresses looked up.`);
}

function decisionRows(decision) {
  if (decision.outcomes.length) {
    return decision.outcomes.map((outcome) => row(
      [outcome.address, OUTCOME_WORDS[outcome.status] || outcome.status,
       outcome.detail || outcome.reason], outcome.status));
  }
  // Nothing per address: the message-level rule that stopped it says why.
  const stop = decision.trace.find((finding) => finding.verdict === "fail");
  return [row(["(whole message)", "not logged", stop ? stop.detail : decision.status],
              "not_logged")];
}

async function log() {
  if (!raw.value.trim()) {
    say("Paste a message or drop an .eml file first.", true);
    return;
  }
  const decision = await logMessage(fileBytes || raw.value);
  show(decisionSection, decisionRows(decision));
  const logged = decision.outcomes.filter((o) => o.status === "logged").length;
  say(logged ? `Logged on ${logged} contact${logged > 1 ? "s" : ""}.` : "Nothing was logged.");
}

async function useFile(chosen) {
  fileBytes = new Uint8Array(await chosen.arrayBuffer());
  raw.value = new TextDecoder("utf-8").decode(fileBytes);
  await guarded(lookupButton, lookUpAddresses);
}

raw.addEventListener("input", () => { fileBytes = null; });
raw.addEventListener("dragover", (event) => { event.preventDefault(); raw.classList.add("dragging"); });
raw.addEventListener("dragleave", () => raw.classList.remove("dragging"));
raw.addEventListener("drop", (event) => {
  event.preventDefault();
  raw.classList.remove("dragging");
  const [dropped] = event.dataTransfer.files;
  if (dropped) useFile(dropped);
});
file.addEventListener("change", () => { if (file.files[0]) useFile(file.files[0]); });
lookupButton.addEventListener("click", () => guarded(lookupButton, lookUpAddresses));
logButton.addEventListener("click", () => guarded(logButton, log));
