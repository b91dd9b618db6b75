package dev.agentmesh.training;

import dev.agentmesh.contract.DataContract;
import dev.agentmesh.data.DatasetRow;
import dev.agentmesh.dataset.DatasetReader;
import dev.agentmesh.dataset.LocalDataset;

import java.nio.file.Path;
import java.util.List;

/** credit-g published as the publisher would, and its splits read back: what the trainer's tests train on. */
record CreditGSplits(List<String> names, List<DatasetRow> train, List<DatasetRow> validation, List<DatasetRow> test) {

    static final Path CREDIT_G = Path.of(System.getProperty("mesh.data.dir", "../../../shared/data"), "credit-g.csv");

    static CreditGSplits publish(Path directory) {
        LocalDataset.Published published = LocalDataset.publish(CREDIT_G, DataContract.load("credit-g"), directory, "r1");
        var splits = published.announcement().getSplits();
        return new CreditGSplits(published.schema().names(), DatasetReader.read(splits.get("train")),
                DatasetReader.read(splits.get("validation")), DatasetReader.read(splits.get("test")));
    }
}
