package dev.agentmesh.meshctl;

import dev.agentmesh.meshctl.deploy.DeployManifests;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.SortedMap;
import java.util.concurrent.Callable;

@Command(name = "deploy", mixinStandardHelpOptions = true, description = "Deployment files.",
        subcommands = DeployCommand.Render.class)
public class DeployCommand {

    @Command(name = "render", mixinStandardHelpOptions = true,
            description = "Write deploy/k8s/base and docker-compose.yml from the Topics registry and services/*.")
    static class Render implements Callable<Integer> {
        @Option(names = "--repo", description = "Repository root (default: the one this meshctl belongs to).")
        Path repo;

        @Override
        public Integer call() {
            Path root = repo != null ? repo : MeshServices.repoRoot();
            SortedMap<String, String> files = DeployManifests.render(root);
            List<String> written = DeployManifests.write(root, files);
            written.forEach(f -> System.out.println("wrote " + f));
            System.out.println(written.size() + " of " + files.size() + " files changed");
            return 0;
        }
    }
}
