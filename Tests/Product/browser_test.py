"""The web client in a real browser: headless Chromium driven by Selenium, two people talking to each other.

Two browser sessions register through the login form, one opens a direct conversation with the other by searching
their username, and they exchange messages both ways: a send shows as pending until its ack, the receiver sees the
conversation's unread count and the message live, the sender sees the typing indicator and the read state, an
image attachment is uploaded (presigned PUT) and shown on the other side (presigned GET, its bytes compared), a
reaction, an edit and a delete reach the other side. Then the chat service is restarted: both clients reconnect
and `sync`, a message written while chat was down goes out after the reconnect, messages sent meanwhile over REST
arrive, and each browser shows exactly the server's history, nothing lost and nothing twice.

Screenshots go to .local/screenshots/. `run(harness, web_url)` raises AssertionError naming the failed step.
"""
from __future__ import annotations

import json
import struct
import tempfile
import time
import urllib.request
import zlib
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

import harness as stack

ROOT = stack.ROOT
SCREENSHOTS = ROOT / ".local" / "screenshots"
LOGS = ROOT / ".local" / "product"
WAIT = 20

# Injected after login: records what the page showed and sent, for assertions about transient states.
RECORDER = """
window.__seen = {statuses: [], connection: [], sent: []};
const observe = () => {
  const list = document.querySelector('[data-testid=message-list]');
  const status = document.querySelector('[data-testid=connection-status]');
  if (list && !list.__observed) {
    list.__observed = true;
    new MutationObserver((records) => {
      for (const record of records) for (const node of record.addedNodes) {
        if (node.dataset && node.dataset.status) window.__seen.statuses.push(node.dataset.status);
      }
    }).observe(list, {childList: true});
  }
  if (status && !status.__observed) {
    status.__observed = true;
    new MutationObserver(() => window.__seen.connection.push(status.dataset.state))
      .observe(status, {attributes: true, attributeFilter: ['data-state']});
  }
};
observe();
setInterval(observe, 100);
const send = WebSocket.prototype.send;
WebSocket.prototype.send = function (data) {
  try { window.__seen.sent.push(JSON.parse(data)); } catch (e) {}
  return send.call(this, data);
};
"""


class Person:
    """One browser session."""

    def __init__(self, name: str, web_url: str):
        options = Options()
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,860",
                         "--disable-gpu", "--lang=en-US"):
            options.add_argument(argument)
        options.binary_location = "/usr/bin/chromium"
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.name = name
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.driver.set_page_load_timeout(30)
        self.web_url = web_url
        self.username = f"{name}{int(time.time() * 1000) % 10**9}"
        self.password = "browser-check-pw"
        self.user_id = None

    # -- helpers --------------------------------------------------------------------------------------------------------

    def find(self, selector: str, within=None):
        return (within or self.driver).find_element(By.CSS_SELECTOR, selector)

    def find_all(self, selector: str):
        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def wait(self, condition, what: str, timeout: float = WAIT):
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.1,
                                 ignored_exceptions=(WebDriverException,)).until(lambda _: condition())
        except TimeoutException:
            raise AssertionError(f"{self.name}: {what} (not within {timeout:.0f} s)") from None

    def wait_for(self, selector: str, what: str, timeout: float = WAIT):
        return self.wait(lambda: self.find(selector), what, timeout)

    def js(self, script: str, *args):
        return self.driver.execute_script(script, *args)

    def shot(self, label: str):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(SCREENSHOTS / f"{label}-{self.name}.png"))

    def console(self) -> list[str]:
        try:
            return [f"{entry['level']} {entry['message']}" for entry in self.driver.get_log("browser")]
        except WebDriverException:
            return []

    def quit(self):
        try:
            self.driver.quit()
        except WebDriverException:
            pass

    # -- what a person does ---------------------------------------------------------------------------------------------

    def register(self):
        self.driver.get(self.web_url)
        self.wait_for("[data-testid=login-form]", "the login form shows")
        self.find("[data-testid=tab-register]").click()
        self.find("[data-testid=login-username]").send_keys(self.username)
        self.find("[data-testid=login-password]").send_keys(self.password)
        self.find("[data-testid=login-display-name]").send_keys(self.name.capitalize())
        self.find("[data-testid=login-submit]").click()
        self.wait_for(f"[data-testid=current-user][data-username='{self.username}']", "the chat shows after registering")
        self.wait_connected("the WebSocket connects after login")
        self.js(RECORDER)
        self.user_id = self.js("return window.chatApp.store.me.id")

    def wait_connected(self, what: str, timeout: float = WAIT):
        self.wait(lambda: self.find("[data-testid=connection-status]").get_attribute("data-state") == "online", what, timeout)

    def token(self) -> str:
        return self.js("return window.chatApp.session.accessToken")

    def open_direct_with(self, other: "Person"):
        self.find("[data-testid=new-conversation]").click()
        search = self.wait_for("[data-testid=user-search]", "the new-conversation dialog opens")
        search.send_keys(other.username)
        self.wait_for(f"[data-testid=user-result][data-username='{other.username}']",
                      f"searching finds {other.username}").click()
        self.wait_for("[data-testid=conversation-title]", "the new conversation opens")
        self.wait(lambda: self.find("[data-testid=conversation-title]").text == other.name.capitalize(),
                  "the conversation is titled with the other person's name")
        return self.js("return window.chatApp.store.activeId")

    def open_conversation(self, conversation_id: str):
        self.wait_for(f"[data-testid=conversation-item][data-conversation-id='{conversation_id}']",
                      "the conversation appears in the list").click()
        self.wait(lambda: self.js("return window.chatApp.store.activeId") == conversation_id, "the conversation opens")

    def type_slowly(self, text: str, pause: float = 0.08):
        box = self.find("[data-testid=composer-input]")
        for character in text:
            box.send_keys(character)
            time.sleep(pause)

    def send(self, text: str):
        box = self.find("[data-testid=composer-input]")
        box.send_keys(text)
        box.send_keys(Keys.ENTER)

    def bodies(self) -> list[str]:
        return [node.text for node in self.find_all("[data-testid=message-list] [data-testid=message] [data-testid=message-body]")]

    def wait_message(self, text: str, what: str, timeout: float = WAIT):
        self.wait(lambda: text in self.bodies(), what, timeout)

    def message_node(self, text: str):
        """The message showing `text`, or None."""
        for node in self.find_all("[data-testid=message-list] [data-testid=message]"):
            bodies = node.find_elements(By.CSS_SELECTOR, "[data-testid=message-body]")
            if bodies and bodies[0].text == text:
                return node
        return None

    def status_of(self, text: str):
        """data-status of the message showing `text` (pending, sent, read, failed, received), or None."""
        node = self.message_node(text)
        return node.get_attribute("data-status") if node else None

    def shown_seqs(self) -> list[int]:
        return [int(n.get_attribute("data-seq")) for n in self.find_all("[data-testid=message-list] [data-testid=message][data-seq]")]


def tiny_png(width: int = 24, height: int = 16) -> bytes:
    """A small opaque PNG, made here (no image library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + b"".join(bytes([200, x * 10 % 256, y * 15 % 256]) for x in range(width))
                    for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def server_history(token: str, conversation_id: str) -> list[dict]:
    """Every message of the conversation, oldest first, read over REST (`after` pages, then the cursor)."""
    messages, cursor = [], None
    for _ in range(50):
        query = f"after=0&limit=200" + (f"&cursor={cursor}" if cursor else "")
        status, _, page = stack.api("GET", f"/v1/conversations/{conversation_id}/messages?{query}", token=token)
        assert status == 200, f"history: {status} {page}"
        messages.extend(page["items"])
        cursor = page["nextCursor"]
        if not cursor:
            break
    unique = {m["seq"]: m for m in messages}
    return [unique[seq] for seq in sorted(unique)]


def check_served(web_url: str) -> None:
    try:
        with urllib.request.urlopen(web_url, timeout=10) as response:
            body = response.read().decode(errors="replace")
            kind = response.headers.get("Content-Type", "")
    except Exception as error:  # noqa: BLE001 - any failure is reported as is
        raise AssertionError(f"the web client is not served at {web_url}: {error} "
                             "(the gateway should serve CHAT_WEB_ROOT at /)") from None
    if "text/html" not in kind or "app/main.js" not in body:
        raise AssertionError(f"{web_url} does not answer with the web client's index.html (Content-Type {kind!r})")


def run(harness: stack.Harness, web_url: str | None = None) -> list[str]:
    """The whole scenario; returns lines for the summary."""
    web_url = web_url or stack.GATEWAY + "/"
    check_served(web_url)
    notes: list[str] = []
    alice = Person("alice", web_url)
    bob = None
    try:
        bob = Person("bob", web_url)
        alice.register()
        bob.register()
        alice.shot("01-registered")

        # Alice finds Bob and opens a direct conversation; it shows up in Bob's list without a reload.
        conversation = alice.open_direct_with(bob)
        bob.wait_for(f"[data-testid=conversation-item][data-conversation-id='{conversation}']",
                     "the new conversation appears in Bob's list (conversation frame)")

        # Alice sends: pending until the ack, then sent. Bob sees an unread count and the preview.
        alice.send("Hello Bob")
        alice.wait(lambda: alice.status_of("Hello Bob") == "sent", "Alice's message is acknowledged")
        assert "pending" in alice.js("return window.__seen.statuses"), "Alice's message never showed as pending before its ack"
        item = f"[data-testid=conversation-item][data-conversation-id='{conversation}']"
        bob.wait(lambda: bob.find(f"{item} [data-testid=unread-count]").text == "1", "Bob's list shows 1 unread")
        bob.wait(lambda: "Hello Bob" in bob.find(f"{item} [data-testid=conversation-preview]").text, "Bob's list shows the last message")
        bob.shot("02-unread")

        # Bob opens it: the message is there, his unread count clears and Alice sees it read.
        bob.open_conversation(conversation)
        bob.wait_message("Hello Bob", "Bob sees Alice's message")
        bob.wait(lambda: not bob.find_all(f"{item} [data-testid=unread-count]"), "Bob's unread count clears")
        alice.wait(lambda: alice.status_of("Hello Bob") == "read",
                   "Alice sees that Bob read her message")
        alice.wait(lambda: alice.find("[data-testid=presence-status]").get_attribute("data-status") == "online",
                   "Alice sees Bob online")

        # Bob types: Alice sees it; he sends and she gets the message live.
        bob.type_slowly("Hi Alice")
        alice.wait(lambda: "is typing" in alice.find("[data-testid=typing-indicator]").text, "Alice sees Bob typing")
        alice.shot("03-typing")
        bob.find("[data-testid=composer-input]").send_keys(Keys.ENTER)
        alice.wait_message("Hi Alice", "Alice receives Bob's reply live")
        alice.wait(lambda: alice.find("[data-testid=typing-indicator]").text == "", "the typing indicator goes away")
        bob.wait(lambda: bob.status_of("Hi Alice") == "read", "Bob sees Alice read his reply")

        # An image: Alice uploads it (presigned PUT), Bob's browser shows it (presigned GET) with the same bytes.
        image = tiny_png()
        with tempfile.NamedTemporaryFile(prefix="photo-", suffix=".png", delete=False) as file:
            file.write(image)
            image_path = file.name
        alice.find("[data-testid=attach-input]").send_keys(image_path)
        alice.wait_for("[data-testid=pending-file]", "the chosen file shows in the composer")
        alice.send("Here is a picture")
        alice.wait(lambda: alice.status_of("Here is a picture") in ("sent", "read"),
                   "Alice's message with the attachment is acknowledged")
        bob.wait_message("Here is a picture", "Bob receives the message with the attachment")
        bob.wait(lambda: bob.js("""
            const img = document.querySelector('[data-testid=attachment-image]');
            return img && img.complete && img.naturalWidth > 0;"""), "Bob's browser shows the downloaded image")
        source = bob.js("return document.querySelector('[data-testid=attachment-image]').src")
        with urllib.request.urlopen(source, timeout=10) as response:
            assert response.read() == image, "the downloaded attachment differs from the uploaded file"
        bob.shot("04-attachment")

        # A reaction, an edit and a delete travel as message.updated.
        hello_bob = bob.message_node("Hello Bob")
        bob.driver.execute_script("arguments[0].scrollIntoView()", hello_bob)
        bob.js("arguments[0].querySelector('[data-testid=react][data-emoji=\"👍\"]').click()", hello_bob)
        alice.wait(lambda: alice.message_node("Hello Bob") and alice.message_node("Hello Bob").find_elements(
            By.CSS_SELECTOR, "[data-testid=reaction][data-count='1']"),
                   "Alice sees Bob's reaction")
        alice.js("arguments[0].querySelector('[data-testid=edit-message]').click()", alice.message_node("Hello Bob"))
        edit = alice.wait_for("[data-testid=edit-input]", "the edit box opens")
        edit.clear()
        edit.send_keys("Hello Bob, edited")
        edit.send_keys(Keys.ENTER)
        bob.wait_message("Hello Bob, edited", "Bob sees the edit")
        alice.send("a message to delete")
        bob.wait_message("a message to delete", "Bob receives the message to delete")
        alice.js("arguments[0].querySelector('[data-testid=delete-message]').click()", alice.message_node("a message to delete"))
        alice.wait_for("[data-testid=confirm-delete]", "the delete asks for confirmation").click()
        bob.wait(lambda: "a message to delete" not in bob.bodies() and "Message deleted" in bob.bodies(), "Bob sees the tombstone")
        bob.shot("05-updates")

        # Chat restarts. Bob writes while it is down; Alice writes over REST as soon as it is back.
        seqs_before = {"alice": alice.js("return window.chatApp.store.conversations.get(arguments[0]).lastSeen", conversation),
                       "bob": bob.js("return window.chatApp.store.conversations.get(arguments[0]).lastSeen", conversation)}
        syncs_before = {person.name: len(person.js("return window.__seen.sent")) for person in (alice, bob)}
        harness.stop("chat")
        bob.wait(lambda: bob.find("[data-testid=connection-status]").get_attribute("data-state") != "online",
                 "Bob's client notices that chat went away")
        bob.send("written while chat was down")
        bob.wait(lambda: bob.status_of("written while chat was down") == "pending",
                 "the message written while chat was down shows as pending")
        bob.shot("06-chat-down")
        harness.start("chat")
        token = alice.token()
        for index in range(3):
            status, _, body = stack.api("POST", f"/v1/conversations/{conversation}/messages",
                                        {"clientMessageId": f"after-restart-{index}-{time.time()}", "body": f"after restart {index}"},
                                        token=token)
            assert status == 201, f"sending over REST after the restart: {status} {body}"
        for person in (alice, bob):
            person.wait_connected(f"{person.name}'s client reconnects after the chat restart", timeout=45)
        for person in (alice, bob):
            for text in ["written while chat was down", "after restart 0", "after restart 1", "after restart 2"]:
                person.wait_message(text, f"{person.name} gets {text!r} after the restart", timeout=30)
        bob.wait(lambda: bob.status_of("written while chat was down") in ("sent", "read"),
                 "the message written while chat was down is acknowledged after the reconnect")

        # Nothing lost, nothing twice: each browser shows exactly the server's history.
        history = server_history(alice.token(), conversation)
        expected = [m["seq"] for m in history]
        for person in (alice, bob):
            person.wait(lambda: person.shown_seqs() == expected,
                        f"{person.name} shows exactly the server's history {expected} (shows {person.shown_seqs()})", timeout=15)
            sent_after = person.js("return window.__seen.sent")[syncs_before[person.name]:]
            syncs = [frame for frame in sent_after if frame.get("type") == "sync"]
            assert any(frame["conversations"].get(conversation, -1) >= seqs_before[person.name] for frame in syncs), (
                f"{person.name} did not send sync with its last seen seq {seqs_before[person.name]} after reconnecting "
                f"(sync frames: {syncs})")
            states = person.js("return window.__seen.connection")
            assert "reconnecting" in states, f"{person.name}'s connection states were {states}"
        alice.shot("07-after-restart")
        bob.shot("07-after-restart")
        notes.append(f"{len(expected)} messages on both sides after the chat restart, as the server has them")
        return notes
    except BaseException:
        for person in (alice, bob):
            if person is None:
                continue
            try:
                person.shot("failure")
            except WebDriverException:
                pass
            LOGS.mkdir(parents=True, exist_ok=True)
            try:
                state = person.js("return JSON.stringify({connection: window.chatApp && window.chatApp.store.connection,"
                                  " seen: window.__seen || null})")
            except WebDriverException as error:
                state = f"(page state unavailable: {error.msg})"
            (LOGS / f"browser-{person.name}.log").write_text("\n".join(person.console() + [f"state: {state}"]) + "\n")
        raise
    finally:
        for person in (alice, bob):
            if person is not None:
                person.quit()


if __name__ == "__main__":
    import argparse
    import sys

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--web-url", help="where the client is served (default: the gateway's /)")
    arguments = parser.parse_args()
    with stack.Harness.from_environment() as running:
        running.start_all()
        try:
            for line in run(running, arguments.web_url):
                print(line)
        except AssertionError as failure:
            print(f"FAIL: {failure}")
            sys.exit(1)
    print("browser test passed")
