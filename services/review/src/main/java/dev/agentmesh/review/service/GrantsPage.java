package dev.agentmesh.review.service;

import dev.agentmesh.grants.GrantTree;
import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** The console's grants page: the chain of grants from the principal down, as a tree, with status, budget and spending. */
@Path("/review/grants")
@Produces(MediaType.TEXT_HTML)
@RolesAllowed({ReviewResource.REVIEWER, ReviewResource.PRINCIPAL})
public class GrantsPage {

    /** One grant as the page shows it: its line, and how much of its compute budget its subtree spent. */
    public record Row(GrantTree.Line line, String shortId, String pad, String budgetMs, long spentMs, long ownMs,
                      Integer percent, String expires) {

        static Row of(GrantTree.Line l) {
            Long budget = l.budget() == null ? null : l.budget().computeMs();
            Integer percent = budget == null || budget == 0 ? null
                    : (int) Math.min(100, Math.round(100.0 * l.subtree().computeMs() / budget));
            return new Row(l, l.grantId().length() > 8 ? l.grantId().substring(0, 8) : l.grantId(),
                    String.format(Locale.ROOT, "%.1fem", 0.5 + 1.5 * l.indent()), budget == null ? "" : budget.toString(),
                    l.subtree().computeMs(), l.direct().computeMs(), percent, l.expiresAt() == null ? "" : MINUTES.format(l.expiresAt()));
        }

        /** Width of the spent bar, in percent of its track. */
        public int bar() {
            return percent == null ? 0 : percent;
        }

        public boolean over80() {
            return percent != null && percent >= 80;
        }
    }

    static final DateTimeFormatter MINUTES = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);

    private final RunStateApi runState;
    private final SecurityIdentity identity;
    private final Template grants;

    public GrantsPage(RunStateApi runState, SecurityIdentity identity, @Location("grants.html") Template grants) {
        this.runState = runState;
        this.identity = identity;
        this.grants = grants;
    }

    @GET
    public TemplateInstance show() {
        List<GrantTree.Line> lines = List.of();
        String problem = null;
        try {
            lines = runState.grants();
        } catch (RunStateApi.Unavailable e) {
            problem = e.getMessage();
        }
        Map<String, Long> byStatus = new TreeMap<>();
        lines.forEach(l -> byStatus.merge(l.status().name(), 1L, Long::sum));
        return grants.data("rows", lines.stream().filter(l -> l.status() != GrantTree.Status.REFUSED).map(Row::of).toList())
                .data("refused", lines.stream().filter(l -> l.status() == GrantTree.Status.REFUSED).toList())
                .data("byStatus", byStatus.entrySet().stream().toList()).data("problem", problem)
                .data("user", identity.getPrincipal().getName());
    }
}
