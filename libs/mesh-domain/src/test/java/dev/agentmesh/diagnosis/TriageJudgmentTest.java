package dev.agentmesh.diagnosis;

import dev.agentmesh.core.Envelopes;
import dev.agentmesh.grants.Decision;
import dev.agentmesh.judgment.Judged;
import dev.agentmesh.judgment.Judgment;
import dev.agentmesh.judgment.ModelCalled;
import dev.agentmesh.judgment.ModelJudgment;
import dev.agentmesh.judgment.ModelPort;
import dev.agentmesh.judgment.ModelReply;
import dev.agentmesh.judgment.ModelSettings;
import dev.agentmesh.judgment.SpendLimit;
import dev.agentmesh.run.RunEvent;
import dev.agentmesh.runstate.RunState;
import dev.agentmesh.triage.TriageOpened;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Classification by a model through the judgment port: the model names the first class, the rules' follow. */
class TriageJudgmentTest {

    static final ModelSettings SETTINGS = ModelSettings.builder("gpt-test").maxTokens(200).maxAttempts(2)
            .timeout(Duration.ofSeconds(5)).prices(2.0, 8.0).build();

    final TriageDeciderTest runs = new TriageDeciderTest();
    final TriageDecider decider = new TriageDecider(new Envelopes(TriageDecider.ROLE, "triage-1",
            Clock.fixed(TriageDeciderTest.T0, ZoneOffset.UTC)));

    static ModelPort answering(String... replies) {
        Deque<String> script = new LinkedList<>(List.of(replies));
        List<String> prompts = new ArrayList<>();
        return prompt -> {
            prompts.add(prompt.toString());
            return new ModelReply(script.poll(), 40, 10, 5);
        };
    }

    RunState badData() {
        return TriageDeciderTest.fold(runs.badData());
    }

    @Test
    void byDefaultTheRulesClassifyAndNoModelIsCalled() {
        RunState state = badData();
        List<FailureClass> rules = TriageClassifier.classify(state);
        Judged judged = Judgment.rules().judge(TriageJudgment.question(state, rules), TriageJudgment.rulesAnswer(rules),
                SpendLimit.NONE);
        TriageJudgment.Classification c = TriageJudgment.classified(judged, rules, Judgment.rules());
        assertEquals(List.of(FailureClass.DATA), c.classes());
        assertEquals(List.of(), c.calls());
        assertEquals("rules", c.classifiedBy());
    }

    @Test
    void aModelNamesTheFirstClassTheRulesOthersFollowAndItsCallIsRecordedUnderTheTriagesGrant() {
        RunState state = badData();
        List<FailureClass> rules = TriageClassifier.classify(state);
        ModelJudgment model = new ModelJudgment(answering("{\"verdict\":\"SCHEMA\",\"summary\":\"the age column changed"
                + " meaning\",\"evidence\":{\"stage\":\"row-validation\"}}"), SETTINGS);
        var question = TriageJudgment.question(state, rules);
        assertTrue(question.facts().contains("Stage row-validation: FAILED - 120 of 1000 rows"), question.facts());
        Judged judged = model.judge(question, TriageJudgment.rulesAnswer(rules), SpendLimit.NONE);
        TriageJudgment.Classification c = TriageJudgment.classified(judged, rules, model);
        assertEquals(List.of(FailureClass.SCHEMA, FailureClass.DATA), c.classes());
        assertEquals("model:gpt-test", c.classifiedBy());

        List<RunEvent> out = decider.open(state, TriageDecider.automatic(state).orElseThrow(),
                new TriageDecider.Authority(Decision.ALLOWED, 3), TriageDeciderTest.POLICY, TriageDeciderTest.T0, c);
        ModelCalled call = assertInstanceOf(ModelCalled.class, out.get(0).getPayload(), "the call first");
        assertEquals(TriageJudgment.PURPOSE, call.getPurpose());
        assertEquals("triage-grant", out.get(0).getEnvelope().getGrantId());
        assertEquals(50, out.get(0).getEnvelope().getCost().getTokens());
        TriageOpened opened = assertInstanceOf(TriageOpened.class, out.get(1).getPayload());
        assertEquals(List.of("SCHEMA", "DATA"), opened.getClasses());
        assertEquals("model:gpt-test", opened.getClassifiedBy());
        assertEquals(List.of(FailureClass.Investigators.DATA), opened.getInvestigators(), "both classes route to one investigator");
        RunState after = TriageDeciderTest.fold(state, out);
        assertEquals(state.tokens() + 50, after.tokens(), "the call's tokens are the run's cost");
        assertEquals("model:gpt-test", after.triage().current().orElseThrow().classifiedBy());
    }

    @Test
    void aModelWithNoUsableAnswerLeavesTheRulesClassesAndItsCallsAreStillRecorded() {
        RunState state = badData();
        List<FailureClass> rules = TriageClassifier.classify(state);
        ModelJudgment model = new ModelJudgment(answering("it is the data", "{\"verdict\":\"GREMLINS\",\"summary\":\"x\","
                + "\"evidence\":{}}"), SETTINGS);
        TriageJudgment.Classification c = TriageJudgment.classified(model.judge(TriageJudgment.question(state, rules),
                TriageJudgment.rulesAnswer(rules), SpendLimit.NONE), rules, model);
        assertEquals(rules, c.classes());
        assertEquals(2, c.calls().size());
        assertTrue(c.classifiedBy().startsWith("rules (model:gpt-test gave no usable answer"), c.classifiedBy());
    }
}
