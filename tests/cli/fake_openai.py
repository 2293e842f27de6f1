"""A stand-in OpenAI-compatible server for the http_chat tests: POST
/v1/chat/completions answers "echo: <last user message>" (upper-cased when
the system message says "shout"); a user message "fail" gets HTTP 500 with
an OpenAI-style error body. Prints its port, then serves until killed."""
import http.server, json, sys

class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        msgs = body["messages"]
        user = msgs[-1]["content"]
        if self.path != "/v1/chat/completions" or user == "fail":
            self.reply(500, {"error": {"message": "the model is asleep"}})
            return
        text = "echo: " + user
        if any(m["role"] == "system" and "shout" in m["content"] for m in msgs):
            text = text.upper()
        self.reply(200, {"object": "chat.completion", "model": body.get("model"),
                         "choices": [{"index": 0, "finish_reason": "stop",
                                      "message": {"role": "assistant", "content": text}}]})

    def reply(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass

server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
