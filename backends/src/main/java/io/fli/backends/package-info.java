package io.fli.backends;
