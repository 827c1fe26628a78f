package org.cowstack.storage.cow.ns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.cowstack.storage.api.InvalidArgumentException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PathsTest {
    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "/;           /;     false",
        "//;          /;     false",
        "///;         /;     false",
        "/a;          /a;    false",
        "//a;         /a;    false",
        "/a/;         /a;    true",
        "/a//;        /a;    true",
        "//a//b;      /a/b;  false",
        "/a///b/;     /a/b;  true",
    })
    void slashesAreOneAndATrailingOneAsksForADirectory(String typed, String normalized, boolean directory)
            throws InvalidArgumentException {
        Paths.Parsed p = Paths.parse(typed);
        assertEquals(typed, p.typed());
        assertEquals(normalized, p.normalized());
        assertEquals(directory, p.directory());
        assertEquals(normalized.equals("/") ? List.of() : List.of(normalized.substring(1).split("/")), p.parts());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a", "a/", "/a/./b", "/a/../b", "/..", "/./"})
    void malformedPathsAreRefused(String path) {
        assertThrows(InvalidArgumentException.class, () -> Paths.parse(path));
    }

    @org.junit.jupiter.api.Test
    void theRootIsADirectoryWithOrWithoutSlashes() throws InvalidArgumentException {
        assertTrue(Paths.parse("/").parts().isEmpty());
        assertFalse(Paths.parse("//").directory(), "the root needs no check: it is a directory");
    }
}
