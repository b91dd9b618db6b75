package dev.agentmesh.training;

import dev.agentmesh.data.DatasetRow;
import dev.agentmesh.fanout.SweepGrid;
import dev.agentmesh.sweep.CellConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CellPipelineTest {

    @TempDir
    static Path dir;
    static List<String> names;
    static List<DatasetRow> train;
    static List<DatasetRow> validation;
    static List<DatasetRow> test;

    @BeforeAll
    static void publishCreditG() {
        CreditGSplits creditG = CreditGSplits.publish(dir.resolve("ds"));
        names = creditG.names();
        train = creditG.train();
        validation = creditG.validation();
        test = creditG.test();
    }

    static CellConfig cell(List<String> steps) {
        return new CellConfig("c", "logistic", SweepGrid.LOGISTIC, 0, 0.1, 16, 5, 42L, steps, null);
    }

    @Test
    void aThreeStepPipelineRecordsEachStepInOrderAndCalibrationDoesNotWorsenTheLoss() {
        CellPipeline.Result result = CellPipeline.run(cell(SweepGrid.STEPS), names, train, validation, () -> test, StopSignal.NEVER);
        assertEquals(SweepGrid.STEPS, result.steps().stream().map(ModelRegistry.Step::step).toList());
        var calibration = result.steps().get(1).metrics();
        assertTrue(calibration.get("calibration.loss.after") <= calibration.get("calibration.loss.before") + 1e-12, calibration::toString);
        assertEquals(result.trained().validationLoss(), calibration.get("calibration.loss.before"), 1e-9,
                "before calibrating, the loss is the trained model's");
        var evaluation = result.steps().get(2).metrics();
        assertEquals(test.size(), evaluation.get("test.rows"));
        assertEquals(calibration.get("calibration.temperature"), evaluation.get("test.temperature"),
                "the evaluation uses the calibration handed on, nothing else of it");
        assertTrue(evaluation.get("test.loss") > 0.3 && evaluation.get("test.loss") < 0.9, evaluation::toString);
        assertTrue(evaluation.get("test.accuracy") > 0.6, evaluation::toString);

        CellPipeline.Result trainOnly = CellPipeline.run(cell(List.of()), names, train, validation, () -> {
            throw new AssertionError("a train-only cell reads no test split");
        }, StopSignal.NEVER);
        assertEquals(List.of(), trainOnly.steps(), "a cell with no pipeline reports no steps");
        assertEquals(result.trained().validationLoss(), trainOnly.trained().validationLoss(), 0.0, "the same training");
    }

    @Test
    void aStepThatCannotRunFailsTheCellNamingTheStep() {
        List<DatasetRow> oneClass = validation.stream().filter(r -> r.getLabel().equals(validation.get(0).getLabel())).toList();
        CellPipeline.StepFailed calibrate = assertThrows(CellPipeline.StepFailed.class, () -> CellPipeline.run(
                cell(SweepGrid.STEPS), names, train, oneClass, () -> test, StopSignal.NEVER));
        assertEquals(SweepGrid.CALIBRATE, calibrate.step());
        assertTrue(calibrate.getMessage().startsWith("step calibrate: the validation split holds only ["), calibrate.getMessage());

        CellPipeline.StepFailed evaluate = assertThrows(CellPipeline.StepFailed.class, () -> CellPipeline.run(
                cell(List.of(SweepGrid.TRAIN, SweepGrid.EVALUATE)), names, train, validation, List::of, StopSignal.NEVER));
        assertEquals(SweepGrid.EVALUATE, evaluate.step());
    }

    @Test
    void aSingleClassDatasetTrainsAndFailsAtCalibration() {
        String label = train.get(0).getLabel();
        List<DatasetRow> trainOne = train.stream().filter(r -> r.getLabel().equals(label)).toList();
        List<DatasetRow> validationOne = validation.stream().filter(r -> r.getLabel().equals(label)).toList();
        CellPipeline.StepFailed failed = assertThrows(CellPipeline.StepFailed.class, () -> CellPipeline.run(
                cell(SweepGrid.STEPS), names, trainOne, validationOne, () -> test, StopSignal.NEVER));
        assertEquals(SweepGrid.CALIBRATE, failed.step(), failed.getMessage());
    }
}
