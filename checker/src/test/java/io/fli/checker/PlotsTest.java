package io.fli.checker;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlotsTest {
    @Test
    void aRunGetsItsThreePlotsWithDataInThem(@TempDir Path dir) throws Exception {
        History h = ModelHistories.parse(new ModelHistories(7).generate(400).text());
        List<Path> files = Plots.write(h, dir);
        assertThat(files).extracting(p -> p.getFileName().toString())
                .containsExactly("latency-raw.png", "latency-quantiles.png", "rate.png");
        for (Path f : files) {
            BufferedImage img = ImageIO.read(f.toFile());
            assertThat(img.getWidth()).isEqualTo(1100);
            assertThat(img.getHeight()).isEqualTo(520);
            // Drawn series, legend and shaded faults: many colours, not an empty frame.
            Set<Integer> colours = new HashSet<>();
            for (int x = 0; x < img.getWidth(); x += 3) {
                for (int y = 0; y < img.getHeight(); y += 3) {
                    colours.add(img.getRGB(x, y));
                }
            }
            assertThat(colours.size()).as(f.toString()).isGreaterThan(20);
        }
    }
}
