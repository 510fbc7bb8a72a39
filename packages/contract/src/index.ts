export { ErrorCode, Problem, ProblemFieldError, PROBLEM_MEDIA_TYPE } from './problem.js';
export { Health, NotReadyProblem, Readiness, ReadinessChecks } from './health.js';
