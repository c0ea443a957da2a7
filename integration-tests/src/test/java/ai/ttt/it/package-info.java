/**
 * End-to-end tests: parity with the reference fixtures, Criteria, and the CLI as a user runs it.
 */
package ai.ttt.it;
