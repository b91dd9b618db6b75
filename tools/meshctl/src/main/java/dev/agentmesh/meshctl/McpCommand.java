package dev.agentmesh.meshctl;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import dev.agentmesh.grants.ActionRequest;
import dev.agentmesh.grants.Actions;
import dev.agentmesh.grants.CostRollup;
import dev.agentmesh.grants.GrantLedger;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.runstate.RunStateJson;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.StdioServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.ServerCapabilities;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.BiFunction;

/**
 * An MCP server over standard input and output, for assistants and the people who use them: read-only tools over run
 * state, costs, failures and the review queue, answered within one grant ({@code read} on the run or its pipeline),
 * judged at each call against the grant ledger as it is then. Register it with an MCP client as the command
 * {@code meshctl mcp --grant ID}.
 */
@Command(name = "mcp", mixinStandardHelpOptions = true,
        description = "Serve the mesh's read-only tools to an assistant over MCP (stdio), within one grant.")
public class McpCommand implements Callable<Integer> {

    static final String NAME = "agent-mesh";

    @Mixin
    Connection connection;

    @Mixin
    DlqCommand.Review review;

    @Option(names = "--grant", required = true, description = "The grant the assistant acts under: it needs 'read' on "
            + "the runs (run:ID, run:*) or their pipelines (pipeline:NAME).")
    String grantId;

    @Option(names = "--principal-key", description = "The principal's public key (base64); default: the keys directory's.")
    String principalKey;

    @Override
    public Integer call() throws Exception {
        PrintStream protocol = System.out;
        System.setOut(System.err); // standard output carries the protocol alone
        CountDownLatch inputClosed = new CountDownLatch(1);
        try (LiveGrants grants = LiveGrants.open(connection, principalKey)) {
            RunStateClient runState = new RunStateClient(connection.runStateUrl());
            MeshQueries.Sources sources = new Sources(runState, review);
            StdioServerTransportProvider transport = new StdioServerTransportProvider(
                    new JacksonMcpJsonMapper(RunStateJson.MAPPER), new EndSignallingInput(System.in, inputClosed), protocol);
            McpSyncServer server = McpServer.sync(transport)
                    .serverInfo(NAME, "0.1.0")
                    .instructions("Read-only questions about the agent mesh's training runs, within grant " + grantId + ".")
                    .capabilities(ServerCapabilities.builder().tools(false).build())
                    .tools(tools(sources, grants))
                    .build();
            inputClosed.await();
            server.closeGracefully();
        }
        return 0;
    }

    List<SyncToolSpecification> tools(MeshQueries.Sources sources, LiveGrants grants) {
        return List.of(
                tool("list_runs", "Runs the grant may read, newest first: id, status, pipeline, when triggered.",
                        Map.of("status", string("Only runs in this status (PENDING, RUNNING, COMPLETED, FAILED, ...)."),
                                "pipeline", string("Only runs of this pipeline."),
                                "limit", Map.of("type", "integer", "minimum", 1, "description", "At most this many (default 20).")),
                        List.of(), sources, grants,
                        (q, args) -> q.listRuns(text(args, "status"), text(args, "pipeline"),
                                args.get("limit") instanceof Number n ? n.intValue() : 20)),
                tool("show_run", "A run's state: its stages with durations and reasons, sweep cells, winner, gate decision, cost.",
                        Map.of("runId", string("The run id.")), List.of("runId"), sources, grants,
                        (q, args) -> q.showRun(text(args, "runId"))),
                tool("why_did_run_fail", "Why a run failed, stalled or was held: failed stages and cells with their "
                                + "reasons, the gate's decision, and the run's dead letters grouped by reason.",
                        Map.of("runId", string("The run id.")), List.of("runId"), sources, grants,
                        (q, args) -> q.whyFailed(text(args, "runId"))),
                tool("run_costs", "A run's compute and tokens per grant, rolled up the delegation tree.",
                        Map.of("runId", string("The run id.")), List.of("runId"), sources, grants,
                        (q, args) -> q.costs(text(args, "runId"))),
                tool("list_dead_letters", "Dead letters and other review items grouped by reason, with counts and "
                                + "example item ids: for one run, or for every run the grant may read.",
                        Map.of("runId", string("Only this run's items.")), List.of(), sources, grants,
                        (q, args) -> q.deadLetters(text(args, "runId"))));
    }

    private SyncToolSpecification tool(String name, String description, Map<String, Object> properties,
                                       List<String> required, MeshQueries.Sources sources, LiveGrants grants,
                                       BiFunction<MeshQueries, Map<String, Object>, MeshQueries.Answer> answer) {
        Map<String, Object> schema = Map.of("type", "object", "properties", properties, "required", required,
                "additionalProperties", false);
        return SyncToolSpecification.builder()
                .tool(Tool.builder(name, schema).description(description).build())
                .callHandler((exchange, request) -> call(request, sources, grants, answer))
                .build();
    }

    private CallToolResult call(CallToolRequest request, MeshQueries.Sources sources, LiveGrants grants,
                                BiFunction<MeshQueries, Map<String, Object>, MeshQueries.Answer> answer) {
        try {
            GrantLedger ledger = grants.catchUp();
            Instant now = Instant.now(); // the mesh's clock here, never a time the caller names
            MeshQueries queries = new MeshQueries(sources, resource -> ledger.authorize(
                    new ActionRequest(grantId, Actions.READ, resource, 0, 0, now)));
            MeshQueries.Answer result = answer.apply(queries, request.arguments() == null ? Map.of() : request.arguments());
            return CallToolResult.builder().addTextContent(result.text()).structuredContent(result.data())
                    .isError(result.refused()).build();
        } catch (RuntimeException e) {
            return CallToolResult.builder().addTextContent("error: " + e.getMessage()).isError(true).build();
        }
    }

    private static Map<String, Object> string(String description) {
        return Map.of("type", "string", "description", description);
    }

    private static String text(Map<String, Object> args, String name) {
        Object value = args.get(name);
        return value == null || value.toString().isBlank() ? null : value.toString();
    }

    /** run-state and the review service, over their REST APIs. */
    record Sources(RunStateClient runState, DlqCommand.Review review) implements MeshQueries.Sources {
        @Override
        public List<Map<String, Object>> runs() {
            return runState.list();
        }

        @Override
        public Optional<RunState> run(String runId) {
            return runState.get(runId);
        }

        @Override
        public List<CostRollup.Node> costs(String runId) {
            return runState.costs(runId);
        }

        @Override
        public List<JsonNode> reviewItems() {
            HttpResponse<String> response = review.send("GET", "/api/items", null);
            if (response.statusCode() != 200) {
                throw new IllegalStateException("the review service answered " + response.statusCode());
            }
            try {
                return RunStateJson.MAPPER.readValue(response.body(), new TypeReference<List<JsonNode>>() { });
            } catch (IOException e) {
                throw new IllegalStateException("unreadable review items: " + e.getMessage(), e);
            }
        }
    }

    /** Standard input that says when the client has closed it: the session is over. */
    private static final class EndSignallingInput extends FilterInputStream {
        private final CountDownLatch closed;

        EndSignallingInput(InputStream in, CountDownLatch closed) {
            super(in);
            this.closed = closed;
        }

        @Override
        public int read() throws IOException {
            return ended(super.read());
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return ended(super.read(b, off, len));
        }

        private int ended(int n) {
            if (n < 0) {
                closed.countDown();
            }
            return n;
        }
    }
}
