"""detente.report"""
