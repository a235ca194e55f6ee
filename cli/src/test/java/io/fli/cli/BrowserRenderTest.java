package io.fli.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report and the timeline in a real browser: headless Chromium (Debian's package, which {@code .ci/run}
 * installs; skipped without it) loads each page, its DOM holds the content, every image the page references is
 * there, and the screenshot is not blank.
 */
class BrowserRenderTest {
    @TempDir
    Path dir;

    static Optional<Path> chromium() {
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
                Path p = Path.of(d, name);
                if (Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    private String browser(Path page, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(chromium().get().toString(), "--headless",
                "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--user-data-dir=" + dir.resolve("profile"),
                "--window-size=1280,2400"));
        cmd.addAll(List.of(args));
        cmd.add(page.toUri().toString());
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).as("chromium finished").isTrue();
        return out;
    }

    private void rendersWithEveryImage(Path page, String... content) throws Exception {
        String dom = browser(page, "--dump-dom");
        assertThat(dom).contains(content);
        Matcher m = Pattern.compile("<img src=\"([^\"]+)\"").matcher(dom);
        int images = 0;
        while (m.find()) {
            assertThat(page.getParent().resolve(m.group(1))).as("image %s", m.group(1)).exists();
            images++;
        }
        Path shot = dir.resolve(page.getFileName() + ".png");
        browser(page, "--screenshot=" + shot);
        assertThat(shot).exists();
        BufferedImage img = ImageIO.read(shot.toFile());
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 7) {
            for (int x = 0; x < img.getWidth(); x += 7) {
                colours.add(img.getRGB(x, y));
            }
        }
        assertThat(colours.size()).as("distinct colours in the screenshot of %s (%d images)", page, images)
                .isGreaterThan(8);
    }

    @Test
    void theReportAndATimelineRenderInChromium() throws Exception {
        Assumptions.assumeTrue(chromium().isPresent(), "Chromium is not installed (.ci/run installs it)");
        // A real run folder with its plots and timeline, then the report over it.
        Path store = dir.resolve("store");
        CliTest.Run t = CliTest.fli("test", "--backend", "memory", "--nemesis", "crash,restart", "--time", "3s",
                "--store", store.toString());
        assertThat(t.code()).as(t.out()).isZero();
        Path out = dir.resolve("report");
        CliTest.fli("report", "--out", out.toString(), "--repo", dir.toString(), store.toString());
        rendersWithEveryImage(out.resolve("index.html"), "fli sign-off report", "Gate B", "latency-raw.png");
        Path run;
        try (var s = Files.walk(store, 3)) {
            run = s.filter(p -> p.getFileName().toString().equals("timeline.html")).findFirst().orElseThrow();
        }
        rendersWithEveryImage(run, "operations", "<svg");
    }
}
