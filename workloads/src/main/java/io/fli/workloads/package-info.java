package io.fli.workloads;
