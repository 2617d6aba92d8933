"""detente.war"""
