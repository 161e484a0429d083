module.exports = {
  // Test doubles are not production code.
  skipFiles: ["mocks/"],
};
