package io.fli.soak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SoakProfileTest {
    @Test
    void theBuiltInProfilesLoad() throws Exception {
        SoakProfile ci = SoakProfile.load("ci");
        assertThat(ci.duration()).isEqualTo(Duration.ofMinutes(2));
        assertThat(ci.liveSetEvery()).isEqualTo(ci.sampleEvery());
        SoakProfile prod = SoakProfile.load("production-shape");
        assertThat(prod.duration()).isEqualTo(Duration.ofHours(24));
        assertThat(prod.sampleEvery()).isEqualTo(Duration.ofSeconds(10));
        assertThat(prod.withDuration(Duration.ofHours(1)).duration()).isEqualTo(Duration.ofHours(1));
        // The written form reads back as the same profile.
        assertThat(SoakProfile.parse(prod.toJson(), "round trip")).isEqualTo(prod);
    }

    @Test
    void burstsAreTheLastStretchOfEachPeriod() throws Exception {
        SoakProfile ci = SoakProfile.load("ci"); // every 40 s, 10 s long
        assertThat(ci.inBurst(Duration.ofSeconds(5))).isFalse();
        assertThat(ci.inBurst(Duration.ofSeconds(31))).isTrue();
        assertThat(ci.inBurst(Duration.ofSeconds(40))).isFalse();
        assertThat(ci.inBurst(Duration.ofSeconds(75))).isTrue();
    }

    @Test
    void aBadProfileNamesTheFileAndTheField(@TempDir Path dir) throws Exception {
        String good = new String(SoakProfile.class.getResourceAsStream("profiles/ci.json").readAllBytes());
        Path missing = dir.resolve("missing.json");
        Files.writeString(missing, good.replace("\"readers\": 2,", ""));
        assertThatThrownBy(() -> SoakProfile.load(missing.toString())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("missing.json").hasMessageContaining("field 'readers' is missing");
        Path badDuration = dir.resolve("duration.json");
        Files.writeString(badDuration, good.replace("\"gc_every\": \"3s\"", "\"gc_every\": \"soon\""));
        assertThatThrownBy(() -> SoakProfile.load(badDuration.toString()))
                .hasMessageContaining("field 'gc_every' must be a duration like 500ms, 30s, 10m or 24h, got 'soon'");
        Path negative = dir.resolve("negative.json");
        Files.writeString(negative, good.replace("\"blocks_per_s\": 40", "\"blocks_per_s\": -1"));
        assertThatThrownBy(() -> SoakProfile.load(negative.toString()))
                .hasMessageContaining("field 'blocks_per_s' must be a positive number, got -1");
        Path notJson = dir.resolve("broken.json");
        Files.writeString(notJson, "{");
        assertThatThrownBy(() -> SoakProfile.load(notJson.toString())).hasMessageContaining("broken.json")
                .hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> SoakProfile.load("nightly")).hasMessageContaining("neither a built-in profile");
    }
}
