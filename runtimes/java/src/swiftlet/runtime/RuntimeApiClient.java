package swiftlet.runtime;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Runtime API (2018-06-01) over one keep-alive HTTP/1.1 connection that serves every request
 * of the process.
 *
 * <p>A plain socket rather than HttpURLConnection or HttpClient: it loads a handful of classes
 * instead of hundreds (start-up is what a runtime client is judged on), starts no background
 * threads, and makes "one connection" a fact rather than a pool's policy. The server always
 * answers with Content-Length; chunked bodies are read too, for robustness.
 */
final class RuntimeApiClient {

    private static final String PREFIX = "/2018-06-01/runtime";
    private static final String ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type";
    private static final String XRAY_CAUSE_HEADER = "Lambda-Runtime-Function-XRay-Error-Cause";
    private static final int XRAY_CAUSE_LIMIT_BYTES = 1024 * 1024;

    /** A response: status, headers (names in any case) and body. */
    record Response(int status, Map<String, String> headers, byte[] body) {
    }

    private final String host;
    private final int port;
    private final String userAgent;
    private Socket socket;
    private InputStream input;
    private OutputStream output;

    RuntimeApiClient(String address) {
        int colon = address.lastIndexOf(':');
        this.host = colon < 0 ? address : address.substring(0, colon);
        this.port = colon < 0 ? 80 : Integer.parseInt(address.substring(colon + 1));
        this.userAgent = "swiftlet-java/" + System.getProperty("java.version");
    }

    /** Waits, without a time limit, for the next invocation. */
    Invocation next() throws IOException {
        Response response = request("GET", PREFIX + "/invocation/next", Map.of(), null);
        if (response.status() != 200) {
            throw new IOException("GET /invocation/next answered " + response.status() + ": " + excerpt(response));
        }
        return Invocation.from(response.headers(), response.body());
    }

    void postResponse(String requestId, byte[] body) throws IOException {
        post(PREFIX + "/invocation/" + requestId + "/response", Map.of("Content-Type", "application/json"), body);
    }

    void postInvocationError(String requestId, ErrorReport report) throws IOException {
        post(PREFIX + "/invocation/" + requestId + "/error", errorHeaders(report), report.document());
    }

    void postInitError(ErrorReport report) throws IOException {
        post(PREFIX + "/init/error", errorHeaders(report), report.document());
    }

    private static Map<String, String> errorHeaders(ErrorReport report) {
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.put("Content-Type", "application/json");
        // As AWS's client: the type header only when there is a type, the X-Ray cause only
        // for exceptions thrown by the function and only when it fits in a header.
        if (report.errorType() != null && !report.errorType().isEmpty()) {
            headers.put(ERROR_TYPE_HEADER, report.errorType());
        }
        if (report.xrayCause() != null && report.xrayCause().length() < XRAY_CAUSE_LIMIT_BYTES) {
            headers.put(XRAY_CAUSE_HEADER, report.xrayCause());
        }
        return headers;
    }

    private void post(String path, Map<String, String> headers, byte[] body) throws IOException {
        // Everything the function wrote must reach the server's pipes before the post that
        // ends its invocation, so that the lines are attributed to it.
        System.out.flush();
        System.err.flush();
        Response response = request("POST", path, headers, body);
        if (response.status() < 200 || response.status() > 299) {
            System.err.println("swiftlet runtime: POST " + path + " answered " + response.status() + ": "
                + excerpt(response));
        }
    }

    /**
     * Sends one request. A request that fails on a connection used before (the server may have
     * closed it while idle) is sent once more on a fresh one.
     */
    Response request(String method, String path, Map<String, String> headers, byte[] body) throws IOException {
        while (true) {
            boolean wasReused = connect();
            try {
                writeRequest(method, path, headers, body);
                return readResponse();
            } catch (StaleConnectionException | SocketException e) {
                close();
                if (!wasReused) {
                    throw e;
                }
            } catch (IOException e) {
                close();
                throw e;
            }
        }
    }

    /** Opens the connection unless it is open; returns whether an open one is being reused. */
    private boolean connect() throws IOException {
        if (socket != null) {
            return true;
        }
        Socket opened = new Socket();
        opened.setTcpNoDelay(true);
        opened.connect(new InetSocketAddress(host, port));
        socket = opened;
        input = new BufferedInputStream(opened.getInputStream(), 16 * 1024);
        output = opened.getOutputStream();
        return false;
    }

    private void close() {
        try {
            if (socket != null) {
                socket.close();
            }
        } catch (IOException ignored) {
            // Nothing to do: the socket is being discarded.
        }
        socket = null;
        input = null;
        output = null;
    }

    private void writeRequest(String method, String path, Map<String, String> headers, byte[] body)
        throws IOException {
        StringBuilder head = new StringBuilder(256);
        head.append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
        head.append("Host: ").append(host).append(':').append(port).append("\r\n");
        head.append("User-Agent: ").append(userAgent).append("\r\n");
        for (Map.Entry<String, String> header : headers.entrySet()) {
            head.append(header.getKey()).append(": ").append(header.getValue()).append("\r\n");
        }
        if (body != null) {
            head.append("Content-Length: ").append(body.length).append("\r\n");
        }
        head.append("\r\n");
        // One write for head and body: the server sees the whole request at once.
        byte[] headBytes = head.toString().getBytes(StandardCharsets.UTF_8);
        byte[] all = new byte[headBytes.length + (body == null ? 0 : body.length)];
        System.arraycopy(headBytes, 0, all, 0, headBytes.length);
        if (body != null) {
            System.arraycopy(body, 0, all, headBytes.length, body.length);
        }
        output.write(all);
        output.flush();
    }

    private Response readResponse() throws IOException {
        String statusLine = readLine(true);
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
            throw new IOException("malformed status line from the Runtime API: " + statusLine);
        }
        int status = Integer.parseInt(parts[1]);
        Map<String, String> headers = readHeaders();
        byte[] body = readBody(headers);
        if ("close".equalsIgnoreCase(headers.get("Connection"))) {
            close();
        }
        return new Response(status, headers, body);
    }

    private Map<String, String> readHeaders() throws IOException {
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (String line = readLine(false); !line.isEmpty(); line = readLine(false)) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                headers.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
            }
        }
        return headers;
    }

    private byte[] readBody(Map<String, String> headers) throws IOException {
        String length = headers.get("Content-Length");
        if (length != null) {
            return input.readNBytes(Integer.parseInt(length));
        }
        if ("chunked".equalsIgnoreCase(headers.get("Transfer-Encoding"))) {
            return readChunked();
        }
        // Neither: the body runs to the end of the connection.
        byte[] body = input.readAllBytes();
        close();
        return body;
    }

    private byte[] readChunked() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = readLine(false);
            int semicolon = sizeLine.indexOf(';');
            int size = Integer.parseInt((semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
            if (size == 0) {
                while (!readLine(false).isEmpty()) {
                    // Trailers are not used by the Runtime API.
                }
                return body.toByteArray();
            }
            body.write(input.readNBytes(size));
            readLine(false);
        }
    }

    /**
     * Reads one CRLF-terminated line as ISO-8859-1. An end of stream before the first byte of a
     * response means the server closed the connection: worth one retry if it had been idle.
     */
    private String readLine(boolean firstOfResponse) throws IOException {
        StringBuilder line = new StringBuilder(64);
        while (true) {
            int b = input.read();
            if (b < 0) {
                if (firstOfResponse && line.length() == 0) {
                    throw new StaleConnectionException();
                }
                throw new EOFException("the Runtime API closed the connection mid-response");
            }
            if (b == '\n') {
                int end = line.length();
                if (end > 0 && line.charAt(end - 1) == '\r') {
                    line.setLength(end - 1);
                }
                return line.toString();
            }
            line.append((char) b);
        }
    }

    private static String excerpt(Response response) {
        byte[] body = response.body();
        return new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8);
    }

    /** The server closed the connection before answering. */
    private static final class StaleConnectionException extends IOException {
        private static final long serialVersionUID = 1L;

        StaleConnectionException() {
            super("the Runtime API closed the connection");
        }
    }
}
