import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startTcpProxy, type TcpProxy } from "./tcp-proxy";
import { waitUntil } from "./wait-until";

/** A line server on loopback: answers "ok:<line>" to each line and remembers what it ran. */
async function startLineServer(): Promise<{ port: number; ran: string[]; close: () => Promise<void> }> {
  const ran: string[] = [];
  const open = new Set<Socket>();
  const server: Server = createServer((socket) => {
    open.add(socket);
    socket.on("close", () => open.delete(socket));
    socket.on("error", () => undefined);
    let buffered = "";
    socket.on("data", (chunk) => {
      buffered += chunk.toString("utf8");
      for (let end = buffered.indexOf("\n"); end >= 0; end = buffered.indexOf("\n")) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 1);
        ran.push(line);
        socket.write(`ok:${line}\n`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    ran,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A client of the line server: sends a line, resolves with the reply or rejects when the connection ends first. */
async function connectClient(port: number) {
  const socket = tcpConnect(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  let closed = false;
  socket.on("close", () => {
    closed = true;
  });
  socket.on("error", () => undefined);
  return {
    get closed() {
      return closed;
    },
    send(line: string): Promise<string> {
      return new Promise((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          socket.off("close", onClose);
          resolve(chunk.toString("utf8").trim());
        };
        const onClose = () => {
          socket.off("data", onData);
          reject(new Error("connection closed"));
        };
        socket.once("data", onData);
        socket.once("close", onClose);
        socket.write(`${line}\n`);
      });
    },
    destroy: () => {
      socket.destroy();
    },
  };
}

describe("startTcpProxy", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setUp(): Promise<{ proxy: TcpProxy; ran: string[] }> {
    const server = await startLineServer();
    cleanups.push(server.close);
    const proxy = await startTcpProxy(`tcp://user:secret@127.0.0.1:${server.port}/db?x=1`);
    cleanups.push(() => proxy.close());
    return { proxy, ran: server.ran };
  }

  it("forwards both ways and keeps the target URL's credentials, path and query", async () => {
    const { proxy } = await setUp();
    expect(proxy.url).toBe(`tcp://user:secret@127.0.0.1:${proxy.port}/db?x=1`);
    const client = await connectClient(proxy.port);
    cleanups.push(client.destroy);
    await expect(client.send("ping")).resolves.toBe("ok:ping");
  });

  it("cut() closes the open connections and accepts new ones", async () => {
    const { proxy } = await setUp();
    const client = await connectClient(proxy.port);
    cleanups.push(client.destroy);
    await client.send("first");
    expect(proxy.cut()).toBe(2);
    await waitUntil(() => client.closed, { description: "the client connection to close" });
    const again = await connectClient(proxy.port);
    cleanups.push(again.destroy);
    await expect(again.send("second")).resolves.toBe("ok:second");
  });

  it("failNext before-request: the server never sees the request", async () => {
    const { proxy, ran } = await setUp();
    const client = await connectClient(proxy.port);
    cleanups.push(client.destroy);
    const cut = proxy.failNext("BOOK", "before-request");
    await expect(client.send("BOOK SO-1")).rejects.toThrow("connection closed");
    await cut;
    expect(ran).not.toContain("BOOK SO-1");
    expect(proxy.cuts).toBe(1);
  });

  it("failNext before-reply: the server runs the request and the client never hears back", async () => {
    const { proxy, ran } = await setUp();
    const client = await connectClient(proxy.port);
    cleanups.push(client.destroy);
    const cut = proxy.failNext("BOOK", "before-reply", { replyComplete: (bytes) => bytes.includes(0x0a) });
    await expect(client.send("BOOK SO-2")).rejects.toThrow("connection closed");
    await cut;
    expect(ran).toContain("BOOK SO-2");
  });

  it("pause() refuses connections until resume()", async () => {
    const { proxy } = await setUp();
    proxy.pause();
    const refused = await connectClient(proxy.port);
    cleanups.push(refused.destroy);
    await expect(refused.send("hello")).rejects.toThrow();
    proxy.resume();
    const client = await connectClient(proxy.port);
    cleanups.push(client.destroy);
    await expect(client.send("hello")).resolves.toBe("ok:hello");
    expect(proxy.serverSidePorts()).toHaveLength(1);
  });

  it("needs a port", async () => {
    await expect(startTcpProxy("redis://127.0.0.1")).rejects.toThrow("pass defaultPort");
  });
});
